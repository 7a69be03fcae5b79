// Preloaded into `lip serve` by `benchmarks/profile.ts --alloc`: SIGUSR2 starts V8's sampling heap
// profiler, counting every allocation (also those a scavenge or a mark-compact collected since);
// the next SIGUSR2 stops it and writes the profile to $LIP_ALLOC_PROFILE.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    writeFileSync(process.env.LIP_ALLOC_PROFILE, JSON.stringify(err ? { error: String(err) } : result.profile));
  });
});
