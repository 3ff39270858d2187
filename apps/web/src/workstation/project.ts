import { useQuery } from '@tanstack/react-query';
import { projects } from '@outdial/contracts';
import { call as api } from '../api/client.ts';

/** The project's full disposition definitions (which book a callback, which are a sale). */
export function useProjectOf(projectId: string | undefined) {
  return useQuery({
    queryKey: ['project-by-id', projectId],
    enabled: !!projectId,
    staleTime: 60_000,
    queryFn: async () => {
      const list = await api(projects.listProjects, { query: { pageSize: 200 } });
      const p = list.items.find((x) => x.id === projectId);
      return p ? api(projects.getProject, { params: { code: p.code } }) : null;
    },
  });
}
