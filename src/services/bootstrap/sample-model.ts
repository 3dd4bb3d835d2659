// The first-start sample benchmark's model name, on its own so the leaderboard can recognise the
// sample's certificates as a demo without importing the bootstrap (and, through it, jobs and models).
export const SAMPLE_MODEL_NAME = 'sample-ppocr-mobile-v2-cls';
