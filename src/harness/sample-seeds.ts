// The latency run's three seeds (LoadGen's QSL, sample-index and schedule seeds), and who chose them. The
// service draws them per job for every API job and writes them into its suite (services/jobs); a local
// run derives them from the spec's one `seed`. Only service-chosen seeds can back a certificate.
import { z } from 'zod';
import { SCHEDULE_SEED_SALT } from './scenarios/server.js';

const uint32 = z.int().min(0).max(2 ** 32 - 1);

/** The three seeds as the service draws them per job (crypto random) and writes them into the job's suite. */
export const serviceSampleSeedsSchema = z.strictObject({
  qslSeed: uint32,
  sampleIndexSeed: uint32,
  scheduleSeed: uint32,
  chosenBy: z.literal('service'),
});
export type ServiceSampleSeeds = z.output<typeof serviceSampleSeedsSchema>;

/** Who chose a run's seeds: the service (per job, drawn at submission) or whoever wrote the spec's `seed`. */
export const SEEDS_CHOSEN_BY = ['service', 'client'] as const;

export interface RunSeeds {
  qslSeed: number;
  sampleIndexSeed: number;
  scheduleSeed: number;
  chosenBy: (typeof SEEDS_CHOSEN_BY)[number];
}

/** Salts keep the streams apart though all derive from the spec's one seed. */
const SAMPLE_INDEX_SEED_SALT = 0x85ebca6b;

/** The three seeds derived from one spec seed (the schedule's salted as poissonSchedule salts it). */
export function sampleSeeds(seed: number): Omit<RunSeeds, 'chosenBy'> {
  return { qslSeed: seed >>> 0, sampleIndexSeed: (seed ^ SAMPLE_INDEX_SEED_SALT) >>> 0, scheduleSeed: (seed ^ SCHEDULE_SEED_SALT) >>> 0 };
}

/** The seeds a run uses: the service's when the spec carries them, else derived from the spec's `seed`. */
export function runSeedsOf(spec: { seed: number; sampleSeeds?: ServiceSampleSeeds | undefined }): RunSeeds {
  if (spec.sampleSeeds !== undefined) {
    const { qslSeed, sampleIndexSeed, scheduleSeed } = spec.sampleSeeds;
    return { qslSeed, sampleIndexSeed, scheduleSeed, chosenBy: 'service' };
  }
  return { ...sampleSeeds(spec.seed), chosenBy: 'client' };
}
