import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type ts from "typescript";
import { isParams } from "./params";

/**
 * The top-level parameters each of the installed `stripe` SDK's request types accepts (e.g.
 * `Stripe.CustomerCreateParams` → email, metadata, …, inherited ones such as `limit` included),
 * read with the TypeScript compiler from the SDK's own declarations: they are the source of
 * truth for request shapes at the pinned API version, and no current OpenAPI spec of Stripe's is
 * in `contracts/`. Building the program takes seconds, so the answer is cached on disk under
 * `node_modules/.cache`, keyed by the SDK's version, the compiler's, this file and the names.
 */
export function sdkParams(typeNames: readonly string[]): Map<string, Set<string>> {
  const names = [...new Set(typeNames)].sort();
  // Keyed by all that decides the answer: the SDK, the compiler, this reader, the names.
  const hash = createHash("sha256").update(sdkVersion());
  for (const file of [require.resolve("typescript/package.json"), import.meta.filename])
    hash.update(readFileSync(file));
  const key = hash.update(names.join("\n")).digest("hex");
  const file = path.join(cacheDir(), `stripe-params-${sdkVersion()}-${key.slice(0, 16)}.json`);
  const cached = readCache(file);
  const params = cached ?? readSdkTypes(names);
  if (!cached) writeCache(file, params);
  return new Map(Object.entries(params).map(([name, props]) => [name, new Set(props)]));
}

const require = createRequire(import.meta.url);
/** The SDK's package directory (its `exports` hide package.json from require.resolve). */
const sdkRoot = () => path.resolve(path.dirname(require.resolve("stripe")), "..");
const sdkVersion = () => readFileSync(path.join(sdkRoot(), "VERSION"), "utf8").trim();
const cacheDir = () => path.resolve(sdkRoot(), "..", ".cache", "onramp-standins");

/** The cached answer, or null when there is none or it is not a name → parameters map. */
function readCache(file: string): Record<string, string[]> | null {
  try {
    const cached: unknown = JSON.parse(readFileSync(file, "utf8"));
    return isParamsByType(cached) ? cached : null;
  } catch {
    return null;
  }
}

const isParamsByType = (value: unknown): value is Record<string, string[]> =>
  isParams(value) &&
  Object.values(value).every(
    (props) => Array.isArray(props) && props.every((p) => typeof p === "string"),
  );

/** Best effort: a read-only install only pays the compile again next time. */
function writeCache(file: string, params: Record<string, string[]>): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Parallel test workers may write at once: each renames its own complete file into place.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(params));
    renameSync(partial, file);
  } catch {
    // the answer is still used in this process
  }
}

function readSdkTypes(names: string[]): Record<string, string[]> {
  const typescript: typeof ts = require("typescript");
  // A module of aliases `export type T0 = Stripe.CustomerCreateParams;`, beside this file so that
  // "stripe" resolves to the same installation the stand-in runs against.
  const probe = path.join(import.meta.dirname, "__sdk-params__.ts");
  const source = [
    `import type Stripe from "stripe";`,
    ...names.map((name, i) => `export type T${i} = ${name};`),
  ].join("\n");
  const host = typescript.createCompilerHost({});
  const { getSourceFile, fileExists } = host;
  host.fileExists = (file) => file === probe || fileExists.call(host, file);
  host.getSourceFile = (file, language, ...rest) =>
    file === probe
      ? typescript.createSourceFile(file, source, language)
      : getSourceFile.call(host, file, language, ...rest);
  const program = typescript.createProgram(
    [probe],
    {
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: typescript.ScriptTarget.ES2022,
      module: typescript.ModuleKind.ESNext,
      moduleResolution: typescript.ModuleResolutionKind.Bundler,
    },
    host,
  );
  const file = program.getSourceFile(probe);
  const problems = file ? program.getSemanticDiagnostics(file) : [];
  if (!file || problems.length > 0)
    throw new Error(
      `Stripe stand-in: cannot read request types from the stripe SDK: ${problems
        .map((d) => typescript.flattenDiagnosticMessageText(d.messageText, " "))
        .join("; ")}`,
    );
  const checker = program.getTypeChecker();
  const aliases = file.statements.filter(typescript.isTypeAliasDeclaration);
  return Object.fromEntries(
    aliases.map((alias, i) => [
      names[i],
      checker.getPropertiesOfType(checker.getTypeAtLocation(alias.name)).map((p) => p.name),
    ]),
  );
}
