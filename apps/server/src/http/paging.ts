/** Page parameters → the repositories' limit and offset. */
export const toLimit = (q: { page: number; pageSize: number }) => ({
  limit: q.pageSize,
  offset: (q.page - 1) * q.pageSize,
});
