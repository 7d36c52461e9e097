/**
 * No unused exports: every value exported by a module under src/ must be imported somewhere else
 * (src/, scripts/ or __tests__/); a type may also stay exported when its own module uses it (it
 * names a parameter or result of an exported function). Anything else is dead, or should not be
 * exported. Run by `npm run lint`.
 *   npx tsx scripts/unused-exports.ts      exit 1 and a list when there are any
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = resolve(ROOT, 'src');

/** Modules that are entries (run, not imported): their exports are their interface. */
const ENTRIES = new Set(['src/index.ts', 'src/cli.ts']);

export function unusedExports(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.json');
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  const rel = (file: string) => relative(ROOT, file).split('\\').join('/');
  const inSrc = (file: string) => file.startsWith(SRC + '/') || file.startsWith(SRC + '\\');

  /** Symbols (resolved past aliases) that a module other than their own imports, from src/ or scripts/. */
  const used = new Set<ts.Symbol>();
  const real = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  for (const source of program.getSourceFiles()) {
    const file = rel(source.fileName);
    if (source.isDeclarationFile || !(file.startsWith('src/') || file.startsWith('scripts/') || file.startsWith('__tests__/'))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node)) {
        const symbol = node.name ? checker.getSymbolAtLocation(node.name) : undefined;
        if (symbol) used.add(real(symbol));
        if (ts.isNamespaceImport(node) && symbol) {
          // `import * as x`: every member the module exports counts as used.
          const module = real(symbol);
          for (const member of checker.getExportsOfModule(module)) used.add(real(member));
        }
      } else if (ts.isExportDeclaration(node) && !node.exportClause && node.moduleSpecifier) {
        // `export * from`: re-exported wholesale.
        const module = checker.getSymbolAtLocation(node.moduleSpecifier);
        if (module) for (const member of checker.getExportsOfModule(module)) used.add(real(member));
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        // `await import('./x.js')`: the whole module.
        const [arg] = node.arguments;
        const module = arg ? checker.getSymbolAtLocation(arg) : undefined;
        if (module) for (const member of checker.getExportsOfModule(module)) used.add(real(member));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  const unused: string[] = [];
  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || !inSrc(source.fileName) || ENTRIES.has(rel(source.fileName))) continue;
    const module = checker.getSymbolAtLocation(source);
    if (!module) continue;
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = real(symbol);
      // A re-export names a symbol that its own module declares: judged there.
      const declaredHere = target.declarations?.some((d) => d.getSourceFile() === source);
      if (!declaredHere || used.has(target)) continue;
      // A type that its own module uses (in an exported signature) may stay exported: callers name it.
      const typeOnly = !(target.flags & ts.SymbolFlags.Value);
      const mentions = source.text.match(new RegExp(`\\b${symbol.getName()}\\b`, 'g'))?.length ?? 0;
      if (typeOnly && mentions > 1) continue;
      const line = source.getLineAndCharacterOfPosition(target.declarations![0]!.getStart()).line + 1;
      unused.push(`${rel(source.fileName)}:${line}: ${symbol.getName()}`);
    }
  }
  return unused.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const unused = unusedExports();
  if (unused.length > 0) {
    console.error(`${unused.length} export(s) that no other module imports (remove the export, or the code):`);
    for (const line of unused) console.error(`  ${line}`);
    process.exit(1);
  }
  console.log('unused exports: none');
}
