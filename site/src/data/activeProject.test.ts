import { describe, expect, it } from 'vitest';
import { chooseProject, pickProject, projectsStore, remembered, REMEMBER_KEY } from './activeProject';
import type { CrmProject } from './listCrmProjects';

const p = (id: string): CrmProject => ({ id, name: id, publicKey: 'pk_' + id, role: 'owner', createdAt: null });

describe('pickProject', () => {
  it('prefers the remembered project, else the first, else none', () => {
    expect(pickProject([p('a'), p('b')], 'b')?.id).toBe('b');
    expect(pickProject([p('a'), p('b')], 'gone')?.id).toBe('a');
    expect(pickProject([], 'a')).toBeNull();
  });
});

describe('chooseProject', () => {
  it('remembers the choice and makes it active', () => {
    const mem = new Map<string, string>();
    const storage = { setItem: (k: string, v: string) => void mem.set(k, v), getItem: (k: string) => mem.get(k) ?? null };
    chooseProject(p('z'), storage);
    expect(mem.get(REMEMBER_KEY)).toBe('z');
    expect(remembered(storage)).toBe('z');
    expect(projectsStore.get().active?.id).toBe('z');
  });
});
