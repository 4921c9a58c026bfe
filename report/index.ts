// The report folder's public surface.
export { collectReport, type CollectInputs } from './collect.js';
export { ReportError, ReportErrorCodes, type ReportErrorCode } from './errors.js';
export type { Report } from './model.js';
export { REPORT_VERSION } from './model.js';
export { parseUtcOffset, previousPeriod, resolvePeriod, type ReportPeriod } from './period.js';
export { parsePrometheusUrl, prometheusClient, type FetchLike, type PrometheusClient } from './prometheus.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { parseFormats, renderJson, reportBaseName, writeReport, REPORT_FORMATS, type ReportFormat } from './write.js';
