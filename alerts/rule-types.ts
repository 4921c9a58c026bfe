// The shapes of Prometheus rule files, as the generators build them (key order is output order).

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Readonly<Record<string, string>>;
  annotations: {
    summary: string;
    description: string;
    runbook_url: string;
    dashboard_url: string;
  };
}

export interface RuleGroup<R> {
  name: string;
  /** Evaluation interval when the group must not run at the global one (the SLO-window budget). */
  interval?: string;
  rules: R[];
}

export interface GeneratedRules {
  recording: RuleGroup<RecordingRule>[];
  alerting: RuleGroup<AlertingRule>[];
}
