// The operator's business clock as a fixed offset from UTC (`+08:00`, `-05:30`, `Z`). Weeks, days
// and peak hours in reports and dashboards are read on it; a fixed offset, not a zone name,
// because mobile operators' reviews run on one clock and Node has no zone database to lean on here.

/** Minutes east of UTC, or a message saying why the text is not an offset. */
export function parseUtcOffset(text: string): { minutes: number } | { problem: string } {
  if (text === 'Z' || text === 'UTC') return { minutes: 0 };
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return { problem: `"${text}" is not an offset like +08:00, -05:30 or Z` };
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) >= 60 || minutes > 14 * 60) return { problem: `"${text}" is outside -14:00..+14:00` };
  return { minutes: m[1] === '-' ? -minutes : minutes };
}

/** `UTC+08:00`, `UTC-05:30`, `UTC+00:00`. */
export function formatUtcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
