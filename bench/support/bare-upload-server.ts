// The physical limits for the model upload benchmark: a bare node:http server in its own process that
// takes a request body and either only drains it (`drain`: what loopback HTTP moves on this machine) or
// hashes it with sha256 and writes it to a file in `dir` (`store`: what any Node service that hashes an
// upload onto disk can reach, before multipart parsing, validation or a database).
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [mode, dir] = process.argv.slice(2);
let counter = 0;
const server = createServer((req, res) => {
  void (async () => {
    let size = 0;
    if (mode === 'drain') {
      for await (const chunk of req) size += (chunk as Buffer).length;
    } else {
      const hash = createHash('sha256');
      const path = join(dir!, `bare-upload-${++counter}`);
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(req, meter, createWriteStream(path));
      hash.digest('hex');
      await rm(path);
    }
    res.end(String(size));
  })();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`bare upload server listening on ${typeof address === 'object' && address ? address.port : 0}`);
});
