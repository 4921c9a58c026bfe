// Errors of the status page and the demo: a stable code, an HTTP status or exit code, a message naming why.
export const StatusErrors = {
  CH_STATUS_STREAMS_FULL: { status: 503, description: 'As many status streams (GET /api/v1/status/stream) are open as the process serves; the page retries on its own.' },
  CH_DEMO_MISSING_BINARY: { status: null, description: 'A program the demo runs is not on the PATH; the message names it and its Debian package. Nothing was started. Exit 2.' },
} as const;

export type StatusErrorCode = keyof typeof StatusErrors;
