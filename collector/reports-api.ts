// GET /reports: the scheduled weekly reports in the report folder, and each file with its content
// type. Only names of whole reports are served (never a temporary file); the name pattern has no
// `/`, and a name is served only when the folder lists it, so nothing outside the folder is reachable.
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { listReports, reportFile } from '../report/folder.js';
import { CollectorError } from './errors.js';

export interface ReportsApiOptions {
  folder: string;
}

const FileInfo = Type.Object(
  { name: Type.String(), format: Type.String(), bytes: Type.Integer(), modified: Type.String(), url: Type.String() },
  { additionalProperties: false },
);
const ListReply = Type.Object(
  { reports: Type.Array(Type.Object({ period: Type.String(), files: Type.Array(FileInfo) }, { additionalProperties: false })) },
  { additionalProperties: false },
);
const FileParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const reportsApi: FastifyPluginAsync<ReportsApiOptions> = async (app, options) => {
  app.get('/reports', { schema: { response: { 200: ListReply } } }, async () => ({
    reports: (await listReports(options.folder)).map((r) => ({ period: r.period, files: r.files.map((f) => ({ ...f, url: `/reports/${f.name}` })) })),
  }));

  app.get<{ Params: { name: string } }>('/reports/:name', { schema: { params: FileParams } }, async (req, reply) => {
    const found = await reportFile(options.folder, req.params.name);
    if (!found) throw new CollectorError('CH_REPORT_NOT_FOUND', `name: no report file "${req.params.name}" in the report folder; GET /reports lists them`);
    const body = await readFile(found.file);
    return reply.type(found.contentType).header('x-content-type-options', 'nosniff').send(body);
  });
};
