/**
 * Which robots to alert, when, and how failures surface: a notification that fails is a
 * warning on the run, never a failure of the gate.
 */
import type { Notifier, Progress } from '../ports.js';
import type { GateReport } from '../types.js';
import type { MessageContext } from './message.js';
import { DingTalkNotifier, FeishuNotifier, SlackNotifier, WeComNotifier, type NotifierOptions } from './webhooks.js';

export { DingTalkNotifier, FeishuNotifier, SlackNotifier, WeComNotifier, dingtalkSign, feishuSign } from './webhooks.js';
export { buildMessage } from './message.js';

export type NotifyOn = 'regression' | 'always' | 'never';

export interface NotifyTargets {
  wecomWebhook?: string;
  dingtalkWebhook?: string;
  dingtalkSecret?: string;
  feishuWebhook?: string;
  feishuSecret?: string;
  slackWebhook?: string;
}

export function createNotifiers(targets: NotifyTargets, ctx: MessageContext, options: NotifierOptions = {}): Notifier[] {
  const list: Notifier[] = [];
  if (targets.wecomWebhook) list.push(new WeComNotifier(targets.wecomWebhook, ctx, options));
  if (targets.dingtalkWebhook) list.push(new DingTalkNotifier(targets.dingtalkWebhook, targets.dingtalkSecret, ctx, options));
  if (targets.feishuWebhook) list.push(new FeishuNotifier(targets.feishuWebhook, targets.feishuSecret, ctx, options));
  if (targets.slackWebhook) list.push(new SlackNotifier(targets.slackWebhook, ctx, options));
  return list;
}

/** `regression`: only when the gate found a regression (verdict fail). */
export function shouldNotify(on: NotifyOn, report: GateReport): boolean {
  if (on === 'never') return false;
  if (on === 'always') return true;
  return report.verdict === 'fail' || report.regressions > 0;
}

/** Sends to every robot in parallel; each failure becomes one warning. Returns the kinds that got it. */
export async function notifyAll(notifiers: Notifier[], report: GateReport, markdown: string, progress: Progress): Promise<string[]> {
  const results = await Promise.allSettled(notifiers.map((n) => n.send(report, markdown)));
  const sent: string[] = [];
  results.forEach((result, i) => {
    const kind = notifiers[i]?.kind ?? 'notifier';
    if (result.status === 'fulfilled') sent.push(kind);
    else
      progress.warn(
        `${kind} notification failed (the gate result is unaffected): ${(result.reason as Error)?.message ?? String(result.reason)}`,
      );
  });
  return sent;
}
