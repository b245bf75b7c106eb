/**
 * The names a module exports, values and types, read by the TypeScript compiler (for the
 * official driver from its declarations, for ours from the sources through
 * tsconfig.base.json `paths`). Used by exports.test.ts.
 */
import path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ModuleNames {
  /** Exported as a value (class, const, function, enum). */
  values: Set<string>;
  /** Exported as a type only (interface, type alias). */
  types: Set<string>;
}

/** The exports of each specifier, resolved from the repository root as the workspace resolves them. */
export function exportedNames(specifiers: readonly string[]): Map<string, ModuleNames> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const file = path.join(ROOT, 'test/packaging/__names__.ts');
  const text = specifiers.map((s, i) => `export * as m${i} from '${s}';`).join('\n');
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === file ? text : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === file || exists(f);
  const program = ts.createProgram({ rootNames: [file], options: { ...config.options, noEmit: true }, host });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const result = new Map<string, ModuleNames>();
  source.statements.forEach((statement, i) => {
    const spec = (statement as ts.ExportDeclaration).moduleSpecifier as ts.StringLiteral;
    const symbol = checker.getSymbolAtLocation(spec);
    if (!symbol) throw new Error(`exportedNames: cannot resolve ${specifiers[i]}`);
    const names: ModuleNames = { values: new Set(), types: new Set() };
    for (const e of checker.getExportsOfModule(symbol)) {
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      if (target.flags & ts.SymbolFlags.Value) names.values.add(e.name);
      else names.types.add(e.name);
    }
    result.set(specifiers[i]!, names);
  });
  return result;
}
