import { Type, type Static } from 'typebox';
import { DateTime, Nullable, pageQuery, paged } from './common.ts';
import { operation } from './operation.ts';

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  actorUserId: Nullable(Type.String()),
  actorUsername: Nullable(Type.String()),
  action: Type.String(),
  subjectType: Nullable(Type.String()),
  subjectId: Nullable(Type.String()),
  details: Type.Unknown(),
  ip: Nullable(Type.String()),
  createdAt: DateTime,
});
export type AuditEntry = Static<typeof AuditEntry>;

export const listAudit = operation(
  'GET',
  '/audit',
  {
    operationId: 'listAudit',
    tags: ['audit'],
    summary: 'The append-only audit log (admin): logins, unmasked views, exports, configuration changes',
    querystring: pageQuery({ action: Type.Optional(Type.String({ maxLength: 100 })) }),
    response: { 200: paged(AuditEntry) },
  },
  [403],
);
