import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProjectRules, type DispositionCode, type FieldDef, type ProjectRules } from '@outdial/domain/projects';
import type { Principal } from '@outdial/engine';
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
 * The demo dials whatever the hour: its (simulated) contacts may be called around the clock —
 * the project says so in its description. Real projects keep the default 09:00–21:00 rules.
 */
export function demoRules(): ProjectRules {
  const allDay = [{ start: '00:00', end: '24:00' }];
  return {
    ...defaultProjectRules(),
    callingWindows: { '1': allDay, '2': allDay, '3': allDay, '4': allDay, '5': allDay, '6': allDay, '7': allDay },
  };
}

/** Disposition codes with their effects (落单). */
export const DEMO_DISPOSITIONS: DispositionCode[] = [
  {
    code: 'renewed',
    labelZh: '成功续保',
    labelEn: 'Renewed',
    success: true,
    closes: true,
    addsToDnc: false,
    requiresAnswers: true,
  },
  {
    code: 'callback',
    labelZh: '预约回拨',
    labelEn: 'Call back (me)',
    success: false,
    closes: false,
    addsToDnc: false,
    callback: 'agent',
  },
  {
    code: 'callback_any',
    labelZh: '预约回拨(任意坐席)',
    labelEn: 'Call back (anyone)',
    success: false,
    closes: false,
    addsToDnc: false,
    callback: 'anyone',
  },
  {
    code: 'thinking',
    labelZh: '考虑中，明天再打',
    labelEn: 'Thinking it over: try tomorrow',
    success: false,
    closes: false,
    addsToDnc: false,
    retryAfterMinutes: 24 * 60,
  },
  {
    code: 'no_interest',
    labelZh: '无意向',
    labelEn: 'Not interested',
    success: false,
    closes: true,
    addsToDnc: false,
    requiresAnswers: true,
  },
  {
    code: 'refused',
    labelZh: '拒绝并要求勿扰',
    labelEn: 'Refused, do not call',
    success: false,
    closes: true,
    addsToDnc: true,
  },
  {
    code: 'wrong_number',
    labelZh: '号码错误',
    labelEn: 'Wrong number',
    success: false,
    closes: true,
    addsToDnc: false,
  },
  {
    code: 'complaint',
    labelZh: '投诉，升级给高端组',
    labelEn: 'Complaint: escalate to VIP',
    success: false,
    closes: false,
    addsToDnc: false,
    escalateTo: 'vip',
  },
];

/** The demo's branching questionnaire: identity check from the bank, intent, a plan for valued customers, a rating. */
export const DEMO_QUESTIONNAIRE = {
  format: 'outdial.questionnaire/1',
  code: 'RENEW',
  title: { zh: '车险续保回访', en: 'Car insurance renewal' },
  start: 'greeting',
  questions: [
    { key: 'greeting', bank: 'GREETING' },
    { key: 'identity', bank: 'ID_CHECK', next: [{ if: { answer: 'identity', eq: 'no' }, goto: 'end' }] },
    {
      key: 'intent',
      type: 'single',
      required: true,
      text: {
        zh: '您的{product}将于{expiry_date}到期，考虑续保吗？',
        en: 'Your {product} expires on {expiry_date}. Will you renew?',
      },
      options: [
        { value: 'renew', label: { zh: '续保', en: 'Renew' } },
        { value: 'thinking', label: { zh: '再考虑', en: 'Thinking' } },
        { value: 'no', label: { zh: '不续保', en: 'No' } },
      ],
      next: [
        { if: { answer: 'intent', eq: 'no' }, goto: 'reason' },
        { if: { answer: 'intent', eq: 'thinking' }, goto: 'closing' },
      ],
    },
    {
      key: 'plan',
      type: 'single',
      required: true,
      text: { zh: '续保哪种方案？', en: 'Which plan?' },
      options: [
        { value: 'basic', label: { zh: '交强险', en: 'Compulsory only' } },
        { value: 'plus', label: { zh: '交强险 + 商业险', en: 'Compulsory + commercial' } },
      ],
    },
    {
      key: 'vip_offer',
      type: 'script',
      text: { zh: '作为高价值客户，您可享受九折优惠。', en: 'As a valued customer you get 10% off.' },
      showIf: { tag: '高价值' },
    },
    {
      key: 'claim_note',
      type: 'text',
      text: { zh: '去年出险情况备注', en: "Notes on last year's claim" },
      showIf: { field: 'has_claim', op: '=', value: true },
      next: [{ goto: 'closing' }],
    },
    {
      key: 'reason',
      type: 'multiple',
      required: true,
      text: { zh: '不续保的原因？', en: 'Why not?' },
      options: [
        { value: 'price', label: { zh: '价格', en: 'Price' } },
        { value: 'service', label: { zh: '服务', en: 'Service' } },
        { value: 'sold_car', label: { zh: '已卖车', en: 'Sold the car' } },
      ],
    },
    { key: 'closing', type: 'rating', text: { zh: '请为本次通话打分（1-5）', en: 'Rate this call (1-5)' } },
  ],
};

/** Bank questions, a published questionnaire, products and knowledge prompts for the demo project. */
async function seedDemoScripts(platform: Platform, admin: Principal): Promise<void> {
  const { services } = platform;
  await services.questionnaires.bankCreate(admin, {
    code: 'GREETING',
    category: '开头语',
    type: 'script',
    text: {
      zh: '您好，{name}，我是平安车险的客服，耽误您一分钟。',
      en: 'Hello {name}, this is your car insurer; one minute of your time, please.',
    },
  });
  await services.questionnaires.bankCreate(admin, {
    code: 'ID_CHECK',
    category: '核身',
    type: 'single',
    required: true,
    text: { zh: '请问您是{name}本人吗？', en: 'Am I speaking to {name}?' },
    options: [
      { value: 'yes', label: { zh: '是', en: 'Yes' } },
      { value: 'no', label: { zh: '否', en: 'No' } },
    ],
  });
  const q = await services.questionnaires.import(admin, DEMO_PROJECT, DEMO_QUESTIONNAIRE);
  await services.questionnaires.publish(admin, q.questionnaire.id);
  await services.orders.createProduct(admin, DEMO_PROJECT, {
    sku: 'JQX',
    name: '交强险 Compulsory',
    priceCents: 95_000,
  });
  await services.orders.createProduct(admin, DEMO_PROJECT, {
    sku: 'SYX',
    name: '商业险 Commercial',
    priceCents: 312_000,
  });
  await services.orders.createProduct(admin, DEMO_PROJECT, { sku: 'GLASS', name: '玻璃险 Glass', priceCents: 18_000 });
  await services.questionnaires.replaceKnowledge(admin, DEMO_PROJECT, [
    {
      keywords: ['退款', '退保', 'refund'],
      title: { zh: '退保与退款政策', en: 'Cancellation and refunds' },
      body: {
        zh: '犹豫期 15 天内全额退款；之后按日计算。可提供九折续保挽留。',
        en: 'Full refund within 15 days; pro rata after. Offer 10% off to keep the customer.',
      },
    },
    {
      keywords: ['太贵', '贵', 'expensive'],
      title: { zh: '价格异议', en: 'Price objection' },
      body: { zh: '强调出险理赔速度；高价值客户可九折。', en: 'Stress fast claims; valued customers get 10% off.' },
    },
  ]);
}

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
      '演示专案：呼叫时段全天开放，仅供演示（模拟线路，不会真的打电话）。到期前 30 天回访车险客户,确认续保意向。 DEMO project: calling hours are open around the clock for the demo only (simulated lines: nobody is really called). Call car-insurance customers 30 days before expiry about renewal.',
    fields: FIELDS,
    rules: demoRules(),
    dispositions: DEMO_DISPOSITIONS,
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
  // Each agent gets a short list of their own (they dial it themselves, 手工发呼); the rest waits in the
  // insurance queue, which the demo campaign dials for whoever is free.
  const own = await services.tasks.assign(admin, {
    projectCode: DEMO_PROJECT,
    channel: 'agent_call',
    strategy: 'even',
    skill: 'insurance',
    limit: 200,
  });
  const queued = await services.tasks.assign(admin, {
    projectCode: DEMO_PROJECT,
    channel: 'agent_call',
    strategy: 'queue',
    skill: 'insurance',
    limit: 1000,
  });
  log.info(
    { own: own.created, queued: queued.created },
    `demo tasks: ${own.created} on agents' own lists, ${queued.created} in the insurance queue`,
  );
  await seedDemoScripts(platform, admin);
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
