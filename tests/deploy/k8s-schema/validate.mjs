// Checks Kubernetes objects (a JSON array, the rendered manifests) against the API of the
// version kubernetes-models was generated from (package.json: 5.1.0; its 5.0.0 moved to
// the Kubernetes 1.36.0 OpenAPI spec). The models also keep APIs that older versions
// removed, so the API groups served by 1.36 are listed here (SERVED) and others refused.
//
//  1. the model's validate(): types, required fields, enums, formats (int32, quantity),
//     the OpenAPI schema compiled by ajv;
//  2. TypeScript's excess-property check on the same objects typed as the model's
//     interface: a field the API does not have, at any depth, is an error (what
//     `kubectl apply --validate=strict` refuses and the API server would drop).
//
//   node validate.mjs OBJECTS.json WORKDIR      (WORKDIR holds node_modules)
//
// Prints one line per problem, "Kind/name: /json/path: what", and exits 1 if any.
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [objectsFile, workdir] = process.argv.slice(2);
const objects = JSON.parse(readFileSync(objectsFile, "utf8"));
const problems = [];
const name = (o) => `${o.kind}/${o.metadata?.name ?? "?"}`;

// The stable API versions of Kubernetes 1.36 this project may use (all GA, none removed).
const SERVED = new Set(["v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
                        "rbac.authorization.k8s.io/v1"]);

// "apps/v1" + "StatefulSet" -> kubernetes-models/apps/v1/StatefulSet
const modulePath = (o) => `kubernetes-models/${o.apiVersion}/${o.kind}`;

// 1. The models' validators.
for (const o of objects) {
  if (!SERVED.has(o.apiVersion)) {
    problems.push(`${name(o)}: no Kubernetes 1.36 type for apiVersion ${o.apiVersion}, kind ${o.kind} ` +
                  `(use one of ${[...SERVED].join(", ")})`);
    continue;
  }
  let Model;
  try {
    const file = join(workdir, "node_modules", modulePath(o) + ".js");
    Model = (await import(pathToFileURL(file).href))[o.kind];
  } catch {
    problems.push(`${name(o)}: no Kubernetes 1.36 type for apiVersion ${o.apiVersion}, kind ${o.kind}`);
    continue;
  }
  try {
    new Model(o).validate();
  } catch (e) {
    for (const part of String(e.message).split(/, (?=data)/)) problems.push(`${name(o)}: ${part.replace(/^data/, "")}`);
  }
}

// 2. Unknown fields: each object as a typed constant, one member per line, so that an
// error's line names the JSON path it is on.
const lines = [];
const pathOfLine = [];
function emit(value, path, indent, prefix, suffix) {
  const pad = "  ".repeat(indent);
  if (Array.isArray(value) && value.length) {
    lines.push(pad + prefix + "["), pathOfLine.push(path);
    value.forEach((v, i) => emit(v, `${path}/${i}`, indent + 1, "", i + 1 < value.length ? "," : ""));
    lines.push(pad + "]" + suffix), pathOfLine.push(path);
  } else if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
    lines.push(pad + prefix + "{"), pathOfLine.push(path);
    const keys = Object.keys(value);
    keys.forEach((k, i) =>
      emit(value[k], `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, indent + 1, JSON.stringify(k) + ": ",
           i + 1 < keys.length ? "," : ""));
    lines.push(pad + "}" + suffix), pathOfLine.push(path);
  } else {
    lines.push(pad + prefix + JSON.stringify(value) + suffix), pathOfLine.push(path);
  }
}
const owner = [];
objects.forEach((o, i) => {
  lines.push(`import type { I${o.kind} as T${i} } from "${modulePath(o)}";`), pathOfLine.push(""), owner.push(null);
});
objects.forEach((o, i) => {
  const first = lines.length;
  emit(o, "", 0, `export const o${i}: T${i} = `, ";");
  for (let l = first; l < lines.length; l++) owner[l] = i;
});
const tsFile = join(workdir, "manifests.ts");
writeFileSync(tsFile, lines.join("\n") + "\n");
let out = "";
try {
  execFileSync(process.execPath, [join(workdir, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict",
    "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "--pretty", "false", tsFile],
    { cwd: workdir, encoding: "utf8" });
} catch (e) {
  out = String(e.stdout || "") + String(e.stderr || "");
}
for (const line of out.split("\n")) {
  const m = /manifests\.ts\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
  if (!m) continue;
  const l = Number(m[1]) - 1;
  const i = owner[l];
  const where = i === null || i === undefined ? "manifests.ts" : `${name(objects[i])}: ${pathOfLine[l] || "/"}`;
  const text = m[4].replace("Object literal may only specify known properties, and ", "unknown field: ");
  problems.push(`${where}: ${text}`);
}
if (out && !problems.length) problems.push(`tsc failed: ${out.slice(0, 2000)}`);

for (const p of problems) console.log(p);
console.log(`${objects.length} objects checked against Kubernetes 1.36 (kubernetes-models 5.1.0): ` +
            `${problems.length} problem${problems.length === 1 ? "" : "s"}`);
process.exit(problems.length ? 1 : 0);
