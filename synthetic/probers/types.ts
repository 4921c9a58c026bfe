// The one signature every transport implements (blackbox_exporter's "one prober per transport").
export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface TransportResponse {
  status: number;
  body: string;
  /** 0 when the step reused the session's connection. */
  connectMs: number;
  ttfbMs: number;
  totalMs: number;
}

/** One probe run's connection state: steps of a run share it, as a customer's session would. */
export interface ProbeSession {
  exchange(request: TransportRequest, signal: AbortSignal): Promise<TransportResponse>;
  close(): Promise<void>;
}

export type Prober = () => ProbeSession;
