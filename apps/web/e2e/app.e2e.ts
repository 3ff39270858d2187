import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanShots, launch, login, shot, startServer, type RunningServer } from './harness.ts';

/**
 * The web app end to end, on the real server (fresh data folder, simulated carrier) and Debian's
 * Chromium: the admin imports a GBK list through the wizard and sees why rows were rejected, starts
 * the campaign; an agent in a second browser context gets a call, walks the questionnaire along
 * its jumps and books a callback; the wallboard's numbers move; the language switch changes every
 * label; axe finds no serious or critical problem; every main screen is photographed in both
 * languages (docs/screenshots/).
 */
const CJK = /[\u3400-\u9fff]/;
const VIEW = { width: 1440, height: 900 };

/** Texts of the labels (not data) on the page: headings, buttons, table headers, form labels, tabs, menu items. */
async function labels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const sel = 'h1, h2, th, label, button, [role=tab], [role=menuitem], .ant-statistic-title, .ant-card-head-title';
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel))) {
      if (!el.offsetParent && el.tagName !== 'BODY') continue;
      if (el.closest('[data-testid=lang-switch]') || el.closest('[data-data]')) continue;
      const text = (el.innerText || '').trim();
      if (text) out.push(text);
    }
    return out;
  });
}

/** Switches the language with the header's switch and checks that no label stays in the other language. */
async function switchTo(page: Page, lang: 'en' | 'zh-CN', data: RegExp[] = []): Promise<void> {
  await page
    .getByTestId('lang-switch')
    .getByText(lang === 'en' ? 'EN' : '中文', { exact: true })
    .click();
  await page.waitForTimeout(400);
  const left = (await labels(page)).filter((t) => (lang === 'en' ? CJK.test(t) : /^[A-Za-z ]{4,}$/.test(t)));
  const real = left.filter((t) => !data.some((d) => d.test(t)));
  assert.deepEqual(real, [], `labels still in the other language after switching to ${lang}`);
  assert.equal(await page.evaluate(() => localStorage.getItem('outdial.lang')), lang);
}

async function axe(page: Page, name: string): Promise<void> {
  const r = await new AxeBuilder({ page }).exclude('canvas').analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    ),
    [],
    `accessibility problems on ${name}`,
  );
}

/** Both languages: the page as it is (zh), then in English, each photographed. */
async function bothLanguages(page: Page, name: string, data: RegExp[] = []): Promise<void> {
  await shot(page, `${name}.zh`);
  await switchTo(page, 'en', data);
  await shot(page, `${name}.en`);
  await switchTo(page, 'zh-CN', data);
}

/** Data shown in label-like places (campaign, project and people's names from the demo). */
const DATA = [
  /续保外呼/,
  /坐席\d+/,
  /班长/,
  /管理员/,
  /质检/,
  /车险续保/,
  /续保/,
  /^Outdial/,
  /张三|李四|王五|赵六|钱七/,
];

void describe('the web app, end to end', { timeout: 600_000 }, () => {
  let server: RunningServer;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let agentCtx: BrowserContext;
  let admin: Page;
  let agent: Page;
  let sup: Page;
  const figure = async (id: string) =>
    Number((await sup.getByTestId(id).first().locator('.ant-statistic-content-value').innerText()).replace(/\D/g, ''));
  let initial = { dials: 0, connects: 0 };

  before(async () => {
    cleanShots();
    server = await startServer();
    browser = await launch();
    adminCtx = await browser.newContext({ viewport: VIEW, locale: 'zh-CN' });
    agentCtx = await browser.newContext({ viewport: VIEW, locale: 'zh-CN' });
    admin = await adminCtx.newPage();
    agent = await agentCtx.newPage();
    for (const p of [admin, agent]) p.on('pageerror', (e) => console.error('page error:', e.message));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  void it('serves the app at / and keeps the API docs', async () => {
    const home = await fetch(`${server.url}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<div id="root">/);
    assert.equal((await fetch(`${server.url}/api/docs`)).status < 400, true);
    await admin.goto(`${server.url}/`);
    await admin.waitForURL(/\/login/);
    await shot(admin, 'login.zh');
    await axe(admin, 'login');
  });

  void it('admin: imports a GBK CSV through the wizard and sees why rows were rejected', async () => {
    await login(admin, server.url, 'admin');
    await admin.waitForURL(/\/admin\/projects/);
    await admin.getByText('DEMO-RENEW').first().waitFor();
    await bothLanguages(admin, 'projects', DATA);
    await axe(admin, 'projects');
    await admin.getByText('DEMO-RENEW').first().click();
    await admin.waitForURL(/\/admin\/projects\/DEMO-RENEW$/);
    await admin.getByRole('tab').first().waitFor();
    await bothLanguages(admin, 'project-settings', DATA);
    await admin.getByTestId('start-import').click();
    await admin.waitForURL(/\/import$/);
    await shot(admin, 'import-upload.zh');
    await axe(admin, 'import wizard');

    const csv = iconv.encode(
      [
        '姓名,手机号,保单号,标签',
        '张三,13900001111,PA-1,高价值',
        '李四,1390000,PA-2,',
        '王五,+86 139 0000 2222,PA-3,',
        '赵六,13900001111,PA-4,',
        '钱七,13900003333,,',
      ].join('\r\n'),
      'gbk',
    );
    await admin.locator('input[type=file]').setInputFiles({ name: '名单.csv', mimeType: 'text/csv', buffer: csv });
    const preview = admin.getByTestId('import-preview');
    await preview.waitFor();
    assert.match(await admin.locator('body').innerText(), /gb18030/);
    assert.match(await preview.innerText(), /张三/);
    await shot(admin, 'import-preview.zh');
    await admin.getByTestId('import-next').click();
    await admin.getByTestId('import-mapping').waitFor();
    await bothLanguages(admin, 'import-mapping', [/姓名|手机号|保单号|标签/]);
    await admin.getByTestId('import-run').click();
    const result = admin.getByTestId('import-result');
    await result.waitFor({ timeout: 60_000 });
    await admin.getByTestId('import-rejects').getByText('phone_', { exact: false }).first().waitFor();
    const rejects = await admin.getByTestId('import-rejects').innerText();
    assert.match(rejects, /phone_/, 'the invalid number is rejected with its reason');
    assert.match(rejects, /文件内重复/, 'the duplicate in the file is rejected');
    assert.match(rejects, /required_missing|保单号|policy_no/, 'the row without its required field is rejected');
    await bothLanguages(admin, 'import-result', [/张三|李四|王五|赵六|钱七|PA-\d|高价值|phone_|required_|policy/]);
  });

  void it('admin: the rest of the console renders in both languages', async () => {
    for (const [path, name] of [
      ['/admin/projects/DEMO-RENEW', 'questionnaire'],
      ['/admin/projects/DEMO-RENEW', 'knowledge'],
      ['/admin/campaigns', 'campaigns'],
      ['/admin/dnc', 'dnc'],
      ['/admin/users', 'users'],
      ['/admin/webhooks', 'webhooks'],
      ['/admin/audit', 'audit'],
    ] as const) {
      await admin.goto(`${server.url}${path}`);
      await admin.locator('main h1').first().waitFor();
      if (name === 'questionnaire') {
        await admin.getByRole('tab', { name: /问卷/ }).click();
        await admin.getByTestId('q-card-identity').waitFor();
      }
      if (name === 'knowledge') {
        await admin.getByRole('tab', { name: /知识提示/ }).click();
        await admin
          .getByRole('button', { name: /保\s*存/ })
          .last()
          .waitFor();
      }
      await admin.waitForTimeout(500);
      await bothLanguages(admin, name, [...DATA, /^admin$|^supervisor$|^qa$|^agent\d+$/, /DEMO-RENEW|RENEW/]);
      if (name !== 'audit') await axe(admin, name);
    }
  });

  void it('admin starts the campaign; an agent gets a call, walks the questionnaire along its jumps and books a callback', async () => {
    sup = await (await browser.newContext({ viewport: VIEW, locale: 'zh-CN' })).newPage();
    await login(sup, server.url, 'supervisor');
    await sup.waitForURL(/\/wallboard/);
    await sup.getByTestId('stat-dials').first().waitFor();
    initial = { dials: await figure('stat-dials'), connects: await figure('stat-connects') };

    await admin.goto(`${server.url}/admin/campaigns`);
    await admin.getByTestId('campaign-start').first().click();
    await admin.getByTestId('campaign-pause').first().waitFor();

    await login(agent, server.url, 'agent01');
    await agent.waitForURL(/\/workstation/);
    await agent.getByTestId('link-status').getByText('已连接').waitFor();
    await shot(agent, 'workstation-idle.zh');
    await axe(agent, 'workstation');
    await agent.getByTestId('sign-in').click();
    await agent.getByTestId('ready').click();
    await agent.getByTestId('agent-state').getByText('示闲').waitFor();

    // The simulated carrier's callee answers; the dialer routes the call to this agent: the screen pop.
    await agent.getByTestId('customer-card').waitFor({ timeout: 120_000 });
    await agent.getByTestId('script-runner').waitFor();
    assert.match(await agent.getByTestId('customer-phone').innerText(), /\*\*\*\*/, 'agents see masked numbers');
    await agent.getByTestId('question-identity').waitFor();
    await bothLanguages(agent, 'workstation-call', [...DATA, /车险续保回访|Car insurance/]);
    await axe(agent, 'workstation in a call');

    // identity = yes → intent = thinking jumps over plan, vip_offer, claim_note, reason to closing.
    await agent.getByTestId('question-identity').locator('input[type=radio]').first().check();
    await agent.getByTestId('script-next').click();
    await agent.getByTestId('question-intent').waitFor();
    await agent.getByTestId('question-intent').locator('input[value=thinking]').check();
    await agent.getByTestId('script-next').click();
    await agent.getByTestId('question-closing').waitFor();
    await agent.getByTestId('question-closing').locator('.ant-rate-star').nth(3).click();
    await agent.getByTestId('script-next').click();
    await agent.getByTestId('script-complete').waitFor();

    // Hold and resume (the simulated carrier can hold): the held tag shows, then goes.
    await agent.getByTestId('hold').click();
    await agent
      .getByTestId('held')
      .getByText(/保持中/)
      .waitFor();
    assert.equal(await agent.getByTestId('hold').getAttribute('aria-pressed'), 'true');
    await agent.getByTestId('hold').click();
    await agent.getByTestId('held').waitFor({ state: 'detached' });
    assert.equal(await agent.getByTestId('hold').getAttribute('aria-pressed'), 'false');

    await agent.getByTestId('hangup').click();
    await agent.getByTestId('agent-state').getByText('话后整理').waitFor();
    await agent.getByTestId('dispo-code').click();
    await agent.locator('.ant-select-item-option').filter({ hasText: '预约' }).first().click();
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
    await agent.getByTestId('dispo-callback').click();
    await agent.keyboard.type(`${day} 10:00`);
    await agent.locator('.ant-picker-ok button').click();
    await agent.getByTestId('dispo-notes').fill('客户考虑中，明天上午回电');
    // Pause after this call (小休), so no new call comes while the test looks at the callbacks.
    await agent.getByTestId('dispo-pause').click();
    await agent.locator('.ant-select-item-option').filter({ hasText: '小休' }).first().click();
    await shot(agent, 'workstation-disposition.zh');
    await agent.getByTestId('dispo-submit').click();
    await agent.getByText('小结已保存').waitFor();
    await agent.getByTestId('agent-state').getByText('示忙：小休').waitFor();
    await agent.getByRole('tab', { name: '我的预约回呼' }).click();
    await agent.getByTestId('my-queue').getByText(day).first().waitFor({ timeout: 40_000 });
  });

  void it("the wallboard's numbers change as the campaign dials", async () => {
    let now = initial;
    for (let i = 0; i < 30 && !(now.dials > initial.dials && now.connects > initial.connects); i++) {
      await sup.waitForTimeout(1000);
      now = { dials: await figure('stat-dials'), connects: await figure('stat-connects') };
    }
    assert.ok(now.dials > initial.dials, `dials went from ${initial.dials} to ${now.dials}`);
    assert.ok(now.connects > initial.connects, `connects went from ${initial.connects} to ${now.connects}`);
    await sup
      .getByTestId('agent-grid')
      .getByText(/坐席01|Agent 1/)
      .first()
      .waitFor();
    await bothLanguages(sup, 'wallboard', DATA);
    await axe(sup, 'wallboard');
    await sup.close();
  });

  void it('the agent survives a dropped connection: reconnects, resynchronises and is told', async () => {
    await agent.evaluate(() => window.dispatchEvent(new Event('outdial:drop')));
    await agent.getByText('已重新连接').waitFor({ timeout: 30_000 });
    await agent.getByTestId('link-status').getByText('已连接').waitFor();
  });
});
