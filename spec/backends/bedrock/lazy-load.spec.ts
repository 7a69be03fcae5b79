import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));

/**
 * The AWS packages cost nothing until a bedrock backend works: a fresh process (the compiled
 * dist/, as `lip serve` runs it) that loads every backend kind has loaded none of them; the
 * first signature loads the signer.
 */
describe('backends/bedrock: AWS packages load only when used', () => {
  it('importing the backend registry loads no @smithy / @aws-sdk module; signing one request does', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(DIST)});
      const aws = () => Object.keys(require.cache).filter((k) => /@smithy|@aws-sdk/.test(k)).length;
      await import(${JSON.stringify(`${DIST}backends/registry.js`)});
      const before = aws();
      const { signRequest } = await import(${JSON.stringify(`${DIST}backends/bedrock/sign-request.js`)});
      await signRequest({ method: 'GET', url: 'https://bedrock.us-east-1.amazonaws.com/foundation-models', headers: {}, region: 'us-east-1', credentials: { accessKeyId: 'A', secretAccessKey: 'S' } });
      console.log(JSON.stringify([before, aws()]));`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const [before, after] = JSON.parse(out.trim()) as [number, number];
    expect(before).to.equal(0);
    expect(after).to.be.greaterThan(0);
  });
});
