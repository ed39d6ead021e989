// Checks the live GraphQL schema the way frontend tooling (codegen, Apollo, Relay) sees it:
// 1. introspect the running server and build a client schema with graphql-js;
// 2. compare it with the committed schema.graphql (scalars' @specifiedBy URLs included);
// 3. when given the schema.graphql of the base revision, fail on any breaking change
//    from it to the live schema (graphql-js findBreakingChanges: a removed field, type
//    or enum value, an output field made nullable, a new required argument…), and list
//    the dangerous ones;
// 4. validate every operation of docs/operations against it, then execute each and
//    require a response without errors.
// Usage: node check.mjs URL REPO_DIR [BASE_SCHEMA_FILE]  (env EDITOR_TOKEN, ADMIN_TOKEN for role-tagged files)
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import {
  buildClientSchema, buildSchema, findBreakingChanges, findDangerousChanges,
  getIntrospectionQuery, lexicographicSortSchema, parse, printSchema, validate,
} from "graphql";

const [url, repo, baseSchemaFile] = process.argv.slice(2);
const tokens = { EDITOR: process.env.EDITOR_TOKEN, ADMIN: process.env.ADMIN_TOKEN };
let failures = 0;
const fail = (message) => { failures += 1; console.error(`FAIL ${message}`); };

async function post(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: await response.json() };
}

const introspection = await post(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }), {});
if (introspection.body.errors) {
  console.error(JSON.stringify(introspection.body.errors));
  process.exit(1);
}
const live = buildClientSchema(introspection.body.data);
const committed = buildSchema(readFileSync(join(repo, "schema.graphql"), "utf8"));
const print = (schema) => printSchema(lexicographicSortSchema(schema));
if (print(live) !== print(committed)) {
  fail("the live schema differs from schema.graphql (run `territoires schema > schema.graphql`)");
} else {
  console.log("ok   live schema = schema.graphql");
}

// Replaced fields are deprecated, never removed: frontends built on the base keep working.
if (baseSchemaFile) {
  const base = buildSchema(readFileSync(baseSchemaFile, "utf8"));
  const breaking = findBreakingChanges(base, live);
  if (breaking.length > 0) {
    fail(`breaking changes from the base schema: ${breaking.map((c) => `${c.type}: ${c.description}`).join("; ")}`);
  } else {
    console.log("ok   no breaking change from the base schema");
  }
  for (const change of findDangerousChanges(base, live)) {
    console.log(`note dangerous change: ${change.type}: ${change.description}`);
  }
}

// The schema is the documentation frontend teams read: everything must be described.
const undocumented = [];
for (const type of Object.values(live.getTypeMap())) {
  if (type.name.startsWith("__")) continue;
  // Every type must be described, connections and edges included.
  if (!type.description && !["String", "Int", "Float", "Boolean", "ID"].includes(type.name)) {
    undocumented.push(type.name);
  }
  const fields = "getFields" in type ? Object.values(type.getFields()) : [];
  for (const field of fields) {
    if (!field.description) undocumented.push(`${type.name}.${field.name}`);
    for (const arg of field.args ?? []) {
      if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
    }
  }
  for (const value of "getValues" in type ? type.getValues() : []) {
    if (!value.description) undocumented.push(`${type.name}.${value.name}`);
  }
}
if (undocumented.length > 0) {
  fail(`undocumented schema elements: ${undocumented.join(", ")}`);
} else {
  console.log("ok   every type, field, argument and enum value is documented");
}

const dir = join(repo, "docs", "operations");
for (const file of readdirSync(dir).filter((f) => f.endsWith(".graphql")).sort()) {
  const source = readFileSync(join(dir, file), "utf8");
  const errors = validate(live, parse(source));
  if (errors.length > 0) {
    fail(`${file}: ${errors.map((e) => e.message).join("; ")}`);
    continue;
  }
  const variablesFile = join(dir, file.replace(/\.graphql$/, ".variables.json"));
  const variables = existsSync(variablesFile) ? JSON.parse(readFileSync(variablesFile, "utf8")) : {};
  const role = /^# role: (\w+)/m.exec(source)?.[1];
  const { status, body } = await post(source, variables, role ? tokens[role] : undefined);
  if (status !== 200 || body.errors || !body.data) {
    fail(`${file}: HTTP ${status} ${JSON.stringify(body.errors ?? body)}`);
  } else {
    console.log(`ok   ${file}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
