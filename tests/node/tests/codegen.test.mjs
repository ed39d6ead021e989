// Frontend types: @graphql-codegen (client preset: typescript + typescript-operations +
// typed document nodes) generates the types of every example operation of
// docs/operations against the committed schema.graphql (which .ci/graphql-check holds
// equal to the live schema), and `tsc --strict` compiles a small typed client on them,
// while refusing one that misreads the types (so the types are real, not `any`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';

const here = dirname(fileURLToPath(import.meta.url));
const project = join(here, '..');
const repo = join(project, '..', '..');

const CLIENT = `
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { TerritoryOverviewDocument, SearchDocument } from './gql/graphql';

async function request<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data: TResult };
  return body.data;
}

export async function communeCount(url: string): Promise<number | null> {
  const data = await request(url, TerritoryOverviewDocument, { number: 5 });
  return data.territory?.overview.communeCount ?? null;
}

export async function found(url: string, text: string): Promise<unknown> {
  return request(url, SearchDocument, { text });
}
`;

// A nullable territory read without a check, and a variable of the wrong type.
const MISREAD = `
import { TerritoryOverviewDocument } from './gql/graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
declare function request<R, V>(d: TypedDocumentNode<R, V>, v: V): R;
export const count: number = request(TerritoryOverviewDocument, { number: '5' }).territory.overview.communeCount;
`;

function tsc(dir, file) {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'ESNext',
      moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], skipLibCheck: true,
      types: [],
    },
    files: [file],
  }));
  return spawnSync(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
    { encoding: 'utf8' });
}

test('codegen types the example operations and tsc --strict compiles a client on them', async () => {
  // Inside the project, so that the generated files resolve its node_modules.
  const dir = mkdtempSync(join(project, '.codegen-'));
  try {
    await generate({
      schema: join(repo, 'schema.graphql'),
      documents: join(repo, 'docs', 'operations', '*.graphql'),
      silent: true,
      generates: {
        [join(dir, 'gql') + '/']: {
          preset: 'client',
          config: {
            // A new scalar without a type here fails the test rather than become `any`.
            strictScalars: true,
            scalars: { Date: 'string', DateTime: 'string', GeoJSON: 'unknown', JSON: 'unknown', Upload: 'unknown' },
            enumsAsTypes: true,
          },
        },
      },
    }, true);

    writeFileSync(join(dir, 'client.ts'), CLIENT);
    const good = tsc(dir, 'client.ts');
    assert.equal(good.status, 0, `tsc refused the typed client:\n${good.stdout}${good.stderr}`);

    writeFileSync(join(dir, 'misread.ts'), MISREAD);
    const bad = tsc(dir, 'misread.ts');
    assert.notEqual(bad.status, 0, 'tsc accepted a client that misreads the types');
    assert.match(bad.stdout, /TS18047|TS2531/, `a possibly-null territory:\n${bad.stdout}`);
    assert.match(bad.stdout, /TS2322/, `a string for an Int variable:\n${bad.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
