import type { DispositionRow, OrderRow, Repositories } from './ports/index.ts';
import { priceOrder, type OrderLineInput } from '@outdial/domain/orders';
import { outboxEvent } from './webhooks/events.ts';
import { nextStep, type AttemptRecord, type NextStep } from '@outdial/domain/compliance';
import { toDb } from './attempts.ts';
import { assertCan, type Principal } from './auth.ts';
import type { EventBus } from './dialer/events.ts';
import { AppError, invalid, notFound } from './errors.ts';
import type { Clock } from './ports/index.ts';
import type { QuestionnaireService } from './questionnaires/service.ts';

export interface DispositionInput {
  code: string;
  notes?: string | undefined;
  /** A callback the agent booked with the customer. */
  callbackAt?: Date | null | undefined;
  /**
   * Answers to the call's questionnaire (the whole set; validated against the version the call
   * uses). Absent: the answers saved during the call stand.
   */
  answers?: Readonly<Record<string, unknown>> | undefined;
  /** Pause the agent with this reason after the wrap-up, instead of making them ready. */
  pause?: string | undefined;
  /** Sales projects: what the customer bought on this call (success codes only), priced from the catalogue. */
  order?: { lines: OrderLineInput[] } | undefined;
}

export interface DispositionResult {
  disposition: DispositionRow;
  /** The contact's next step from the project's rules with this disposition. */
  next: NextStep;
  /** Whether the number went on the project's do-not-call list. */
  addedToDnc: boolean;
  /** The order taken on the call, if any. */
  order: OrderRow | null;
  /** The skill group the contact's task moved to, if the code escalates. */
  escalatedTo: string | null;
}

/** How far ahead of the other tasks an escalated contact's task moves. */
const ESCALATION_PRIORITY = 100;

/** How far ahead a callback may be booked. */
const MAX_CALLBACK_MS = 90 * 86_400_000;

/**
 * Dispositions (落单): the agent's record of a call — a code from the project's list, notes,
 * an optional callback — which decides the contact's next step (close, callback, retry) with
 * the project's rules, and may put the number on the project's do-not-call list. The
 * DispositionRecorded event it publishes ends the agent's wrap-up in the dialer, whichever way
 * the disposition came (WebSocket or REST).
 */
export class DispositionService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly events: EventBus,
    private readonly questionnaires: QuestionnaireService,
  ) {}

  async record(actor: Principal, attemptId: string, input: DispositionInput): Promise<DispositionResult> {
    assertCan(actor, 'calls:handle');
    const attempt = await this.repos.attempts.get(attemptId);
    if (!attempt || attempt.orgId !== actor.orgId) throw notFound('call attempt');
    // Another agent's call is as invisible as another organisation's (ADR 0004): 404, not 403.
    if (actor.role === 'agent' && attempt.agentUserId !== actor.userId) throw notFound('call attempt');
    if (!attempt.endedAt || !attempt.outcome)
      throw new AppError('invalid_state', 'the call is still in progress: hang up first, then record the disposition', {
        attemptId,
      });
    if (attempt.connectedAt === null)
      throw new AppError('invalid_state', 'this call never reached an agent, so it has no disposition', {
        attemptId,
        outcome: attempt.outcome,
      });
    const project = await this.repos.projects.getById(actor.orgId, attempt.projectId);
    if (!project) throw notFound('project');
    const codes = await this.repos.projects.dispositions(project.id);
    const code = codes.find((d) => d.code === input.code);
    if (!code)
      throw invalid(`unknown disposition code "${input.code}"`, { field: 'code', allowed: codes.map((d) => d.code) });
    const now = this.clock.now();
    const callbackAt = input.callbackAt ?? null;
    if (callbackAt) {
      if (Number.isNaN(callbackAt.getTime())) throw invalid('callbackAt is not a date', { field: 'callbackAt' });
      if (callbackAt.getTime() <= now.getTime())
        throw invalid('a callback must be in the future', { field: 'callbackAt' });
      if (callbackAt.getTime() > now.getTime() + MAX_CALLBACK_MS)
        throw invalid('a callback can be booked at most 90 days ahead', { field: 'callbackAt' });
    }
    const notes = input.notes ?? '';
    if (notes.length > 4000) throw invalid('notes are limited to 4,000 characters', { field: 'notes' });
    if (code.callback && !callbackAt)
      throw invalid(`"${code.code}" books a callback: give callbackAt (when to call back)`, { field: 'callbackAt' });
    if (input.order && !code.success)
      throw invalid(`an order goes with a successful call; "${code.code}" is not a success code`, { field: 'order' });
    let priced: Extract<ReturnType<typeof priceOrder>, { ok: true }> | null = null;
    if (input.order) {
      const p = priceOrder(input.order.lines, await this.repos.orders.products(actor.orgId, attempt.projectId));
      if (!p.ok) throw invalid('the order has problems', { field: 'order', problems: p.problems });
      priced = p;
    }
    let escalateGroup: string | null = null;
    if (code.escalateTo) {
      const g = (await this.repos.org.listSkillGroups(actor.orgId)).find((x) => x.code === code.escalateTo);
      if (!g)
        throw new Error(`disposition "${code.code}" escalates to skill group "${code.escalateTo}", which is gone`);
      escalateGroup = g.id;
    }

    const history: AttemptRecord[] = (await this.repos.attempts.history([attempt.contactId])).map((h) => ({
      phone: h.phone,
      placedAt: h.placedAt.getTime(),
      outcome: h.outcome,
    }));
    const next = nextStep(
      project.rules,
      history,
      { placedAt: attempt.placedAt.getTime(), outcome: attempt.outcome, endedAt: attempt.endedAt.getTime() },
      {
        code: code.code,
        success: code.success,
        closes: code.closes,
        callbackAt: callbackAt?.getTime() ?? null,
        retryAfterMinutes: code.retryAfterMinutes ?? null,
      },
    );
    const agentId = attempt.agentUserId ?? actor.userId;
    const contactNext = toDb(next);
    // A callback the code gives to the agent is offered to that agent alone.
    if (contactNext.kind === 'callback') contactNext.owner = code.callback === 'agent' ? agentId : null;

    // The do-not-call entry is written in the disposition's own transaction (a refused duplicate adds nothing).
    const dnc = code.addsToDnc
      ? {
          listId: await this.repos.dnc.ensureList(actor.orgId, attempt.projectId, 'default'),
          phone: attempt.phone,
          reason: `disposition ${code.code}`,
        }
      : undefined;
    const { row, order } = await this.repos.transaction(async (tx) => {
      const answers = await this.questionnaires.forDisposition(
        tx,
        attempt,
        input.answers,
        Boolean(code.requiresAnswers),
        actor.userId,
      );
      const recorded = await tx.dispositions.record(
        {
          orgId: actor.orgId,
          projectId: attempt.projectId,
          contactId: attempt.contactId,
          attemptId,
          attemptPlacedAt: attempt.placedAt,
          agentUserId: agentId,
          code: code.code,
          notes,
          answers,
          callbackAt,
          createdAt: now,
        },
        contactNext,
        dnc,
      );
      if (!recorded) throw new AppError('conflict', 'this call already has a disposition', { attemptId });
      let order: OrderRow | null = null;
      if (priced) {
        order =
          (await tx.orders.create({
            orgId: actor.orgId,
            projectId: attempt.projectId,
            contactId: attempt.contactId,
            attemptId,
            agentUserId: agentId,
            amountCents: priced.amountCents,
            currency: priced.currency,
            createdAt: now,
            lines: priced.lines,
          })) ?? null;
        if (!order) throw new AppError('conflict', 'this call already has an order', { attemptId });
      }
      if (escalateGroup)
        await tx.tasks.escalate(actor.orgId, attempt.projectId, attempt.contactId, escalateGroup, ESCALATION_PRIORITY);
      // Write-back: the events go out with the change, or not at all (the outbox).
      const contact = await tx.contacts.get(actor.orgId, attempt.contactId);
      const ref = { contactId: attempt.contactId, externalId: contact?.externalId ?? null, project: project.code };
      const version = await tx.questionnaires.answers(attemptId);
      const versionRow = version ? await tx.questionnaires.versionById(actor.orgId, version.versionId) : undefined;
      const events = [
        outboxEvent(actor.orgId, 'disposition.recorded', now, {
          attemptId,
          ...ref,
          campaignId: attempt.campaignId,
          agentId,
          code: code.code,
          success: code.success,
          notes,
          callbackAt: contactNext.kind === 'callback' ? contactNext.at.toISOString() : null,
          next:
            next.kind === 'closed'
              ? { kind: 'closed', reason: next.reason }
              : { kind: next.kind, at: new Date(next.at).toISOString() },
          answers: versionRow
            ? { questionnaire: versionRow.document.code, version: versionRow.version, values: answers }
            : null,
          orderId: order?.id ?? null,
        }),
      ];
      if (order)
        events.push(
          outboxEvent(actor.orgId, 'order.created', now, {
            orderId: order.id,
            attemptId,
            ...ref,
            agentId,
            amountCents: order.amountCents,
            currency: order.currency,
            lines: order.lines.map((l) => ({
              sku: l.sku,
              name: l.name,
              quantity: l.quantity,
              unitPriceCents: l.unitPriceCents,
              amountCents: l.amountCents,
            })),
          }),
        );
      if (next.kind === 'closed')
        events.push(
          outboxEvent(actor.orgId, 'contact.closed', now, { ...ref, reason: next.reason, closedAt: now.toISOString() }),
        );
      await tx.webhooks.enqueue(events);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'dispositions.recorded',
        subjectType: 'call_attempt',
        subjectId: attemptId,
        details: {
          code: code.code,
          next: next.kind,
          callbackAt,
          ...(contactNext.kind === 'callback' ? { callbackOwner: contactNext.owner ?? null } : {}),
          ...(order ? { orderId: order.id, amountCents: order.amountCents } : {}),
          ...(escalateGroup ? { escalatedTo: code.escalateTo } : {}),
        },
      });
      return { row: recorded, order };
    });
    this.events.publish({
      type: 'DispositionRecorded',
      at: now.getTime(),
      campaignId: attempt.campaignId,
      attemptId,
      contactId: attempt.contactId,
      agentId: row.agentUserId,
      code: code.code,
      next: next.kind,
      pause: input.pause ?? null,
    });
    return { disposition: row, next, addedToDnc: code.addsToDnc, order, escalatedTo: code.escalateTo ?? null };
  }

  /** One call attempt with its disposition and its answers; agents see only the calls they took. */
  async attempt(actor: Principal, attemptId: string) {
    assertCan(actor, 'calls:handle');
    const a = await this.repos.attempts.get(attemptId);
    if (!a || a.orgId !== actor.orgId || (actor.role === 'agent' && a.agentUserId !== actor.userId))
      throw notFound('call attempt');
    return {
      ...a,
      disposition: (await this.repos.dispositions.forAttempt(a.id)) ?? null,
      answers: await this.questionnaires.answersView(a),
      order: (await this.repos.orders.forAttempt(a.id)) ?? null,
    };
  }

  async forAttempt(actor: Principal, attemptId: string): Promise<DispositionRow> {
    assertCan(actor, 'calls:handle');
    const d = await this.repos.dispositions.forAttempt(attemptId);
    if (!d || d.orgId !== actor.orgId) throw notFound('disposition');
    if (actor.role === 'agent' && d.agentUserId !== actor.userId) throw notFound('disposition');
    return d;
  }
}
