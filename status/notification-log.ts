// The built-in webhook receiver of the demo: Alertmanager posts its notifications here, and the
// status page and the terminal show them. Only the newest are kept; Alertmanager keeps the rest.
import Type, { type Static } from 'typebox';
import type { NotificationSummary } from './snapshot.js';

const Labels = Type.Record(Type.String(), Type.String());

/** Alertmanager's webhook payload (version 4), as Alertmanager 0.25 sends it. */
export const WebhookPayloadSchema = Type.Object(
  {
    version: Type.String(),
    groupKey: Type.String(),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Type.String({ maxLength: 256 }),
    groupLabels: Labels,
    commonLabels: Labels,
    commonAnnotations: Labels,
    externalURL: Type.String(),
    alerts: Type.Array(
      Type.Object(
        {
          status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
          labels: Labels,
          annotations: Labels,
          startsAt: Type.String(),
          endsAt: Type.String(),
          generatorURL: Type.String(),
          fingerprint: Type.String(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;

export class NotificationLog {
  private readonly kept: NotificationSummary[] = [];
  private readonly listeners = new Set<(n: NotificationSummary) => void>();

  constructor(
    readonly capacity = 50,
    private readonly now: () => number = Date.now,
  ) {}

  record(payload: WebhookPayload): NotificationSummary {
    const summary: NotificationSummary = {
      at: new Date(this.now()).toISOString(),
      receiver: payload.receiver,
      status: payload.status,
      alerts: payload.alerts.map((a) => ({ name: a.labels.alertname ?? '(unnamed)', severity: a.labels.severity ?? 'none', status: a.status, summary: a.annotations.summary ?? '' })),
    };
    this.kept.unshift(summary);
    this.kept.length = Math.min(this.kept.length, this.capacity);
    for (const listener of this.listeners) listener(summary);
    return summary;
  }

  /** Newest first. */
  list(): NotificationSummary[] {
    return [...this.kept];
  }

  subscribe(listener: (n: NotificationSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
