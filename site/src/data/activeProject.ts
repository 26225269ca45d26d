// The project the dashboard shows: remembered per browser, shared by all islands.
import { createStore, useStore } from '../lib/store';
import type { CrmProject } from './listCrmProjects';

export const REMEMBER_KEY = 'vibe-crm.project';

export interface ProjectsState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  projects: CrmProject[];
  active: CrmProject | null;
  error?: string;
}

export const projectsStore = createStore<ProjectsState>({ status: 'idle', projects: [], active: null });

/** The remembered project if the user still has it, else the first one. */
export function pickProject(projects: CrmProject[], rememberedId: string | null): CrmProject | null {
  return projects.find((p) => p.id === rememberedId) ?? projects[0] ?? null;
}

export function remembered(storage: Pick<Storage, 'getItem'> | undefined): string | null {
  try {
    return storage?.getItem(REMEMBER_KEY) ?? null;
  } catch {
    return null;
  }
}

export function chooseProject(project: CrmProject, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(REMEMBER_KEY, project.id);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  projectsStore.set((s) => ({ ...s, active: project }));
}

export const useProjects = (): ProjectsState => useStore(projectsStore);
export const useActiveProject = (): CrmProject | null => useStore(projectsStore).active;
