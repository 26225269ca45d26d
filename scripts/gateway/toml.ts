// Reads `[functions.NAME] verify_jwt = …` from supabase/config.toml. Only what the
// gateway needs: section headers and boolean/string key = value lines.

export interface FunctionSettings {
  verifyJwt: boolean;
}

export function functionSettings(toml: string): Map<string, FunctionSettings> {
  const out = new Map<string, FunctionSettings>();
  let current: string | null = null;
  for (const rawLine of toml.split('\n')) {
    const line = rawLine.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const section = line.match(/^\[\s*([^\]]+?)\s*\]$/);
    if (section) {
      const m = section[1]!.match(/^functions\.(?:"([^"]+)"|([A-Za-z0-9_-]+))$/);
      current = m ? (m[1] ?? m[2])! : null;
      if (current && !out.has(current)) out.set(current, { verifyJwt: true });
      continue;
    }
    if (!current) continue;
    const kv = line.match(/^verify_jwt\s*=\s*(true|false)$/);
    if (kv) out.get(current)!.verifyJwt = kv[1] === 'true';
  }
  return out;
}

/** verify_jwt for a function: true unless config.toml says false (the Supabase default). */
export function verifyJwtFor(settings: Map<string, FunctionSettings>, name: string): boolean {
  return settings.get(name)?.verifyJwt ?? true;
}
