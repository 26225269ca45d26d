// Content islands render only once a project is active (signed in, project chosen).
import type { ReactNode } from 'react';
import { useActiveProject } from '../data/activeProject';
import type { CrmProject } from '../data/listCrmProjects';

export function ProjectGate({ children }: { children: (project: CrmProject) => ReactNode }) {
  const project = useActiveProject();
  return project ? <>{children(project)}</> : null;
}
