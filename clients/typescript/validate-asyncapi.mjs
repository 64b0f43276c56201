// Validates an AsyncAPI document with the official parser: `node validate-asyncapi.mjs doc.json`.
// Prints every diagnostic; exits 1 when any is an error or the document cannot be parsed.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const text = await readFile(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(text);
const names = ["error", "warning", "information", "hint"];
for (const d of diagnostics) {
  console.log(`${names[d.severity]} ${d.code} at ${d.path.join(".")}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (document === undefined || errors.length > 0) {
  process.exit(1);
}
console.log(
  `valid AsyncAPI ${document.version()}: ${document.channels().length} channels, ` +
    `${document.messages().length} messages`,
);
