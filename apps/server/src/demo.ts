import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FieldDef } from '@outdial/domain/projects';
import { silentLogger, type Logger } from '@outdial/engine';
import { sfc32 } from '@outdial/simulator';
import type { Platform } from './platform.ts';
import { consolePrincipal } from './console-principal.ts';

export const DEMO_PROJECT = 'DEMO-RENEW';
export const DEMO_CAMPAIGN = '续保外呼 Renewal calls';

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀英',
  '华',
  '慧',
];
const PREFIXES = [
  '138',
  '139',
  '135',
  '136',
  '137',
  '150',
  '151',
  '152',
  '158',
  '159',
  '186',
  '187',
  '188',
  '177',
  '199',
];
const PROVINCES = ['北京', '上海', '广东', '浙江', '江苏', '四川', '湖北', '山东'];

const FIELDS: FieldDef[] = [
  { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true, maxLength: 32 },
  { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
  { key: 'expiry_date', labelZh: '到期日', labelEn: 'Expiry date', type: 'date', required: false },
  {
    key: 'product',
    labelZh: '险种',
    labelEn: 'Product',
    type: 'enum',
    required: false,
    options: ['交强险', '商业险', '组合'],
  },
  { key: 'has_claim', labelZh: '是否出险', labelEn: 'Had a claim', type: 'boolean', required: false },
];

/**
 * First start with --demo: an organisation, its people, one project with custom fields,
 * skill groups, a do-not-call list and a 1,000-contact list imported through the real
 * import pipeline, then split evenly across the agents. Returns the password to print
 * once (generated unless OUTDIAL_DEMO_PASSWORD is set).
 */
export async function seedDemo(
  platform: Platform,
  log: Logger = silentLogger,
): Promise<{ seeded: boolean; password?: string }> {
  const { repos, services, config } = platform;
  if (await repos.users.firstOrganisation()) return { seeded: false };
  const password = config.demoPassword ?? randomBytes(9).toString('base64url');
  const orgId = await repos.users.createOrganisation('演示外呼中心 Demo Contact Centre');
  await services.users.create(null, orgId, {
    username: 'admin',
    displayName: '系统管理员 Admin',
    role: 'admin',
    password,
  });
  const admin = await consolePrincipal(repos, 'admin');
  await services.users.create(null, orgId, {
    username: 'supervisor',
    displayName: '班长 Supervisor',
    role: 'supervisor',
    password,
  });
  await services.users.create(null, orgId, { username: 'qa', displayName: '质检 QA', role: 'qa', password });
  const teams = [
    await services.org.createTeam(admin, '一组 Team A'),
    await services.org.createTeam(admin, '二组 Team B'),
  ];
  await services.org.createSkillGroup(admin, 'insurance', '保险回访 Insurance follow-up');
  await services.org.createSkillGroup(admin, 'sales', '电销 Telesales');
  await services.org.createSkillGroup(admin, 'vip', '高端客户 VIP');
  for (let i = 1; i <= 20; i++) {
    const username = `agent${String(i).padStart(2, '0')}`;
    const u = await services.users.create(null, orgId, {
      username,
      displayName: `坐席${String(i).padStart(2, '0')} Agent ${i}`,
      role: 'agent',
      password,
    });
    const skills = [{ code: 'insurance', level: 3 + (i % 6) }];
    if (i % 2 === 0) skills.push({ code: 'sales', level: 2 + (i % 5) });
    if (i % 5 === 0) skills.push({ code: 'vip', level: 8 });
    await services.org.setAgent(admin, u.id, { teamId: teams[i % 2]!.id, extension: String(8000 + i), skills });
  }
  await services.projects.create(admin, {
    code: DEMO_PROJECT,
    name: '车险续保回访 Car insurance renewal follow-up',
    description:
      '到期前 30 天回访车险客户,确认续保意向。Call car-insurance customers 30 days before expiry about renewal.',
    fields: FIELDS,
    callerIds: ['+862161234567', '+864008001234'],
  });

  const rand = sfc32(20261123);
  const used = new Set<string>();
  const phone = () => {
    for (;;) {
      const p = PREFIXES[Math.floor(rand() * PREFIXES.length)]! + String(Math.floor(rand() * 1e8)).padStart(8, '0');
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  const dnc = Array.from({ length: 25 }, phone);
  await services.dnc.add(admin, orgId, { phones: dnc, reason: '客户要求勿扰 refused further calls', source: 'demo' });

  const lines = ['姓名,手机号,备用电话,地区,标签,保单号,保费,到期日,险种,是否出险'];
  for (let i = 0; i < 1000; i++) {
    const name = SURNAMES[Math.floor(rand() * SURNAMES.length)]! + GIVEN[Math.floor(rand() * GIVEN.length)]!;
    const tags = [rand() < 0.2 ? '高价值' : '普通', rand() < 0.3 ? '老客户' : ''].filter(Boolean).join('|');
    const expiry = new Date(Date.UTC(2026, 11, 1 + Math.floor(rand() * 60))).toISOString().slice(0, 10);
    const products = ['交强险', '商业险', '组合'];
    lines.push(
      [
        name,
        phone(),
        rand() < 0.15 ? phone() : '',
        PROVINCES[Math.floor(rand() * PROVINCES.length)]!,
        tags,
        `PA${String(100000 + i)}`,
        (800 + Math.floor(rand() * 9000)).toFixed(2),
        expiry,
        products[Math.floor(rand() * 3)]!,
        rand() < 0.25 ? '是' : '否',
      ].join(','),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'outdial-demo-'));
  const file = join(dir, 'demo-contacts.csv');
  writeFileSync(file, lines.join('\r\n') + '\r\n');
  try {
    const { done } = await services.imports.start(admin, {
      projectCode: DEMO_PROJECT,
      path: file,
      filename: 'demo-contacts.csv',
    });
    const result = await done;
    if (result.status !== 'completed') throw new Error(`demo import failed: ${result.error?.message ?? 'unknown'}`);
    log.info({ contacts: result.imported }, `demo list imported: ${result.imported} contacts`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const assigned = await services.tasks.assign(admin, {
    projectCode: DEMO_PROJECT,
    channel: 'agent_call',
    strategy: 'even',
    skill: 'insurance',
    limit: 1000,
  });
  log.info(
    { tasks: assigned.created },
    `demo tasks assigned: ${assigned.created} across ${Object.keys(assigned.perAgent).length} agents`,
  );
  const campaign = await services.campaigns.create(admin, {
    projectCode: DEMO_PROJECT,
    name: DEMO_CAMPAIGN,
    settings: {
      dialMode: 'predictive',
      requiredSkills: { insurance: 1 },
      callerIds: ['+861088880000', '+861088880001'],
    },
  });
  log.info(
    { campaignId: campaign.id },
    `demo campaign "${campaign.name}" (draft): POST /api/v1/campaigns/${campaign.id}/start to run it`,
  );
  return { seeded: true, password };
}
