/**
 * Who may do what. One table, read by every route through `can()`, so the rules are
 * reviewed in one place (PIPL: minimal exposure of personal data).
 */
export type Role = 'admin' | 'supervisor' | 'qa' | 'agent';

export type Permission =
  | 'users:manage'
  | 'org:manage' // teams, skill groups, agents' skills
  | 'projects:read'
  | 'projects:manage'
  | 'scripts:manage' // question bank, questionnaires, knowledge prompts, disposition codes' effects
  | 'contacts:read_all' // every contact of the organisation, not only those assigned
  | 'contacts:import'
  | 'contacts:export'
  | 'dnc:read'
  | 'dnc:manage'
  | 'tasks:assign'
  | 'tasks:read_own'
  | 'campaigns:read'
  | 'campaigns:manage' // create, configure, start, pause, stop
  | 'calls:handle' // log in to the dialer, take calls, record dispositions (落单)
  | 'calls:dial_number' // type a number to dial (拨号外呼), not only a contact of one's own list
  | 'audit:read'
  | 'webhooks:manage' // write-back to business systems (the secrets sign what leaves the platform)
  | 'telephony:read' // trunks (without secrets), caller-ID health
  | 'telephony:manage' // create, change, remove trunks
  | 'recordings:listen'; // play and download call recordings (each access audited)

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: [
    'users:manage',
    'org:manage',
    'projects:read',
    'projects:manage',
    'scripts:manage',
    'contacts:read_all',
    'contacts:import',
    'contacts:export',
    'dnc:read',
    'dnc:manage',
    'tasks:assign',
    'tasks:read_own',
    'campaigns:read',
    'campaigns:manage',
    'calls:handle',
    'calls:dial_number',
    'audit:read',
    'telephony:read',
    'telephony:manage',
    'recordings:listen',
    'webhooks:manage',
  ],
  supervisor: [
    'org:manage',
    'projects:read',
    'scripts:manage',
    'contacts:read_all',
    'contacts:import',
    'contacts:export',
    'dnc:read',
    'dnc:manage',
    'tasks:assign',
    'tasks:read_own',
    'campaigns:read',
    'campaigns:manage',
    'calls:handle',
    'telephony:read',
    'recordings:listen',
    'calls:dial_number',
  ],
  qa: ['projects:read', 'contacts:read_all', 'dnc:read', 'tasks:read_own', 'campaigns:read', 'recordings:listen'],
  agent: ['projects:read', 'tasks:read_own', 'calls:handle'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

/**
 * Whether a role sees full phone numbers. Configurable per deployment (OUTDIAL_UNMASK_ROLES);
 * by default only admins and supervisors do, and every response that shows them is audited.
 */
export function mayUnmask(role: Role, unmaskRoles: readonly Role[]): boolean {
  return unmaskRoles.includes(role);
}
