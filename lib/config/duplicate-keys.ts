import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';

type Segment = string | number;

/** A key given twice in one mapping: where the repeat is, where the key was first given. */
export interface DuplicateKey {
  /** The path of the repeated key (`['server', 'port']`). */
  readonly path: readonly Segment[];
  readonly key: string;
  /** Offsets in the text of the repeat's key and of the first one. */
  readonly at: number;
  readonly first: number;
  /** The repeated pair and the mapping it is in (dropRepeats removes it). */
  readonly pair: Pair;
  readonly map: YAMLMap;
}

/**
 * Every key repeated in a mapping of the document, with its path, in one pass (a Map per
 * mapping): the yaml library's own check (`uniqueKeys`) compares each key with every earlier one
 * of its mapping, quadratic in a mapping of many keys, and its DUPLICATE_KEY error has the offset
 * only ("Map keys must be unique"). Keys compare as the library compares them (scalar values);
 * merge keys (`<<`, read as a symbol each) may repeat. Walked with an explicit stack: a deeply
 * nested file must not overflow it here.
 */
export function duplicateKeys(doc: Document): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: { node: unknown; path: readonly Segment[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isAlias(node)) continue; // its target is walked where it is defined
    if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
      continue;
    }
    if (!isMap(node)) continue;
    const seen = new Map<unknown, number>();
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue; // a key that is not a name is refused elsewhere
      const value = pair.key.value;
      if (typeof value === 'symbol') continue; // a merge key
      const key = String(value);
      const offset = (pair.key as YamlNode).range?.[0] ?? 0;
      const first = seen.get(value);
      if (first !== undefined) found.push({ path: [...path, key], key, at: offset, first, pair, map: node });
      else seen.set(value, offset);
      stack.push({ node: pair.value, path: [...path, key] });
    }
  }
  return found;
}

/**
 * Removes each repeat from its mapping, so that the document reads as it would with the first
 * value of each key (the yaml library keeps the last): the rest of the file is then validated as
 * usual, and every other problem reported with the repeats. Each mapping is filtered once (one
 * splice per repeat was quadratic in a mapping of many).
 */
export function dropRepeats(repeats: readonly DuplicateKey[]): void {
  const byMap = new Map<YAMLMap, Set<unknown>>();
  for (const { map, pair } of repeats) {
    let pairs = byMap.get(map);
    if (pairs === undefined) byMap.set(map, (pairs = new Set()));
    pairs.add(pair);
  }
  for (const [map, pairs] of byMap) map.items = map.items.filter((pair) => !pairs.has(pair));
}
