// Bulk certified results for the leaderboard's pagination tests and benchmarks: N jobs, reports,
// certificates and leaderboard rows written with a few set-based SQL statements (seconds for 100,000).
// The figures are synthetic and labelled so (vendor "Seed Vendor …", devices "seed-npu-…"); the
// leaderboard code under test is the real one. Never used on a database anyone reads results from.
import { createHash } from 'node:crypto';
import pg from 'pg';

export interface SeedOptions {
  count: number;
  devices?: number;
  vendors?: number;
  /** Every n-th result has power measured (energy per inference); the rest have none. */
  energyEvery?: number;
  /** Result i measures workload i % workloads: models of their own ("model:sha256:…"), one per workload;
   *  the first is the all-zero digest every seeded model row names. */
  workloads?: number;
}

/** The digest of seeded workload k, as the seed's SQL writes it. */
export function seededWorkloadDigest(k: number): string {
  return k === 0 ? '0'.repeat(64) : createHash('sha256').update(`seed-workload-${k}`).digest('hex');
}

const PRECISIONS = ['float32', 'float16', 'int8'];

export async function seedCertifiedResults(databaseUrl: string, opts: SeedOptions): Promise<void> {
  const devices = opts.devices ?? 5;
  const vendors = opts.vendors ?? 3;
  const energyEvery = opts.energyEvery ?? 3;
  const workloads = Array.from({ length: opts.workloads ?? 1 }, (_, k) => seededWorkloadDigest(k));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO artifacts (digest, size, media_type, storage_key) VALUES (repeat('0', 64), 0, 'application/octet-stream', 'seed') ON CONFLICT DO NOTHING`);
    await client.query(
      `INSERT INTO certification_profiles (id, name, version, title, description, rules, validity_days, auto_issue)
       VALUES ('seed-latency@1', 'seed-latency', 1, 'Seeded results', 'Synthetic rows for benchmarks and tests', '{"minQueryCount": 1}', 365, false) ON CONFLICT DO NOTHING`,
    );
    await client.query(
      `INSERT INTO organizations (id, slug, name, kind)
       SELECT md5('seed-org' || v)::uuid, 'seed-vendor-' || v, 'Seed Vendor ' || v, 'VENDOR' FROM generate_series(1, $1) v ON CONFLICT DO NOTHING`,
      [vendors],
    );
    await client.query(
      `INSERT INTO devices (id, slug, name, manufacturer, backend_kind, execution_provider, updated_at)
       SELECT md5('seed-device' || d)::uuid, 'seed-npu-' || d, 'Seed NPU ' || d, 'Seed Silicon', 'onnxruntime', 'cpu', now() FROM generate_series(1, $1) d ON CONFLICT DO NOTHING`,
      [devices],
    );
    await client.query(
      `INSERT INTO models (id, org_id, name, version, format, artifact_digest, signature, task, visibility)
       SELECT md5('seed-model' || v)::uuid, md5('seed-org' || v)::uuid, 'seed-model', '1', 'onnx', repeat('0', 64),
              jsonb_build_object('inputs', jsonb_build_array(jsonb_build_object('name', 'x', 'elementType', ($2::text[])[1 + (v % 3)], 'shape', jsonb_build_array(1, 3, 224, 224), 'rankKnown', true)), 'outputs', '[]'::jsonb),
              'image-classification', 'PUBLIC'
       FROM generate_series(1, $1) v ON CONFLICT DO NOTHING`,
      [vendors, PRECISIONS],
    );
    const offset = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM leaderboard_entries`)).rows[0]!.n);
    // One row per i: vendor i % vendors, device i % devices; latency spread over ~0.5..50 ms.
    const series = `generate_series($1::int + 1, $1::int + $2::int) i`;
    await client.query(
      `INSERT INTO jobs (id, org_id, model_id, device_id, suite, status, progress, phase, created_at, finished_at)
       SELECT md5('seed-job' || i)::uuid, md5('seed-org' || (1 + i % $3))::uuid, md5('seed-model' || (1 + i % $3))::uuid, md5('seed-device' || (1 + i % $4))::uuid,
              '{}', 'SUCCEEDED', 1, 'done', now() - (i || ' seconds')::interval, now() FROM ${series}`,
      [offset, opts.count, vendors, devices],
    );
    await client.query(
      `INSERT INTO reports (id, job_id, org_id, visibility, summary, environment, raw_samples_digest, created_at)
       SELECT md5('seed-report' || i)::uuid, md5('seed-job' || i)::uuid, md5('seed-org' || (1 + i % $3))::uuid, 'PUBLIC',
              jsonb_build_object('scenario', 'single-stream', 'targetLatencyNs', 5e5 + (hashtext('t' || i) & 65535) * 750, 'qps', 20 + (i % 1000)),
              '{}', repeat('0', 64), now() - (i || ' seconds')::interval FROM ${series}`,
      [offset, opts.count, vendors],
    );
    await client.query(
      `INSERT INTO certificates (id, report_id, profile_id, org_id, device_id, evaluation, key_figures, issued_at, expires_at, envelope, log_index)
       SELECT md5('seed-cert' || i)::uuid, md5('seed-report' || i)::uuid, 'seed-latency@1', md5('seed-org' || (1 + i % $3))::uuid, md5('seed-device' || (1 + i % $4))::uuid,
              '[]', '[]', now() - (i || ' seconds')::interval, now() + interval '365 days', '{}', 1000000000 + i FROM ${series}`,
      [offset, opts.count, vendors, devices],
    );
    await client.query(
      `INSERT INTO leaderboard_entries (certificate_id, report_id, profile_id, task, device_slug, device_name, manufacturer, org_id, vendor, model_name, model_version,
              precision, execution_provider, scenario, workload, workload_label, target_latency_ns, p50_ns, p99_ns, qps, energy_per_inference_mj, accuracy, report_public, issued_at, expires_at)
       SELECT md5('seed-cert' || i)::uuid, md5('seed-report' || i)::uuid, 'seed-latency@1', 'image-classification', 'seed-npu-' || (1 + i % $4), 'Seed NPU ' || (1 + i % $4),
              'Seed Silicon', md5('seed-org' || (1 + i % $3))::uuid, 'Seed Vendor ' || (1 + i % $3), 'seed-model', '1', ($6::text[])[1 + (i / 7) % 3], 'cpu', 'single-stream',
              'model:sha256:' || ($7::text[])[1 + i % cardinality($7::text[])], 'Unlisted model sha256:' || left(($7::text[])[1 + i % cardinality($7::text[])], 12),
              5e5 + (hashtext('t' || i) & 65535) * 750, 4e5 + (hashtext('t' || i) & 65535) * 700, 6e5 + (hashtext('t' || i) & 65535) * 900, 20 + (i % 1000),
              CASE WHEN i % $5 = 0 THEN 1 + (hashtext('e' || i) & 4095) / 100.0 END, NULL, true,
              now() - (i || ' seconds')::interval, now() + interval '365 days'
       FROM ${series}`,
      [offset, opts.count, vendors, devices, energyEvery, PRECISIONS, workloads],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE leaderboard_entries');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
