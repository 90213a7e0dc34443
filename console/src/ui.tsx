/**
 * What every view of the console shares: the error alert (a problem's title and detail, as the API
 * gave them), the loader hook, and the arrowhead of the graphs. A module of its own because
 * main.tsx starts the app when it is loaded, so views cannot import from it.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem } from './api.ts';

/** An error as the console shows it: the problem's title and detail, and each field it names. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const title = error instanceof ApiProblem ? error.title : 'Error';
  const detail = error instanceof ApiProblem ? error.detail : String((error as Error).message ?? error);
  const fields = error instanceof ApiProblem ? error.errors : [];
  return (
    <div class="problem" role="alert">
      <strong>{title}</strong>
      {detail ? <span>: {detail}</span> : null}
      {fields.length ? (
        <ul>
          {fields.map((f) => (
            <li key={f.path}>
              {f.path}: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Loads `load()` again whenever `deps` change or `reload()` is called; an answer to a stale load is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // The caller names what the load depends on (`deps`); `tick` is a reload asked for.
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/**
 * A list with filters the user edits and then applies (Filter button): the applied ones, empty
 * values left out, plus `limit`, make the query string `load` is given.
 */
export function useFilteredList<F extends Record<string, string>, T>(
  initial: F,
  load: (query: string) => Promise<T>,
) {
  const [filters, setFilters] = useState(initial);
  const [applied, setApplied] = useState(initial);
  const query = new URLSearchParams(
    Object.entries({ ...applied, limit: '50' }).filter(([, v]) => v !== ''),
  ).toString();
  const list = useLoad(() => load(query), [query]);
  /** A filter's value and setter, as {@link TextField} and {@link Choice} take them. */
  const bind = (name: keyof F) => ({
    value: filters[name] as string,
    onValue: (value: string) => setFilters({ ...filters, [name]: value }),
  });
  const apply = (e: Event) => {
    e.preventDefault();
    setApplied(filters);
  };
  return { bind, apply, list };
}

/** The arrowhead of a graph's edges (`marker-end="url(#<id>)"`). */
export function ArrowMarker({ id }: { id: string }) {
  return (
    <defs>
      <marker id={id} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
        <path d="M0,0 L10,5 L0,10 z" class="arrow" />
      </marker>
    </defs>
  );
}

/** An instant as the console writes it everywhere: minutes, in UTC, said so. */
export function formatTime(iso: string): string {
  return `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** A labelled text field (an input, or a textarea with `rows`), its value held by the caller. */
export function TextField({
  id,
  label,
  value,
  onValue,
  rows,
}: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
}) {
  const onInput = (e: Event) => onValue((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value);
  return (
    <>
      <label for={id}>{label}</label>
      {rows ? (
        <textarea id={id} rows={rows} value={value} onInput={onInput} />
      ) : (
        <input id={id} value={value} onInput={onInput} />
      )}
    </>
  );
}

/**
 * A labelled choice among `options`: plain strings show as themselves, the empty one as "any"
 * (a filter left open); `{ value, label }` where the words differ from the value.
 */
export function Choice({
  id,
  label,
  value,
  onValue,
  options,
}: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  options: readonly (string | { value: string; label: string })[];
}) {
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value)}>
        {options.map((o) => {
          const { value: v, label: words } = typeof o === 'string' ? { value: o, label: o || 'any' } : o;
          return (
            <option value={v} key={v}>
              {words}
            </option>
          );
        })}
      </select>
    </>
  );
}

/** A list's answer as the views show it: its error, "Loading…", `empty` when it has no row, or its table. */
export function ListTable<T>({
  list,
  empty,
  ...table
}: { list: { data?: readonly T[]; error?: unknown; loading: boolean }; empty: string } & Omit<
  TableProps<T>,
  'rows'
>) {
  return (
    <>
      <ProblemAlert error={list.error} />
      {list.data ? (
        list.data.length ? (
          <Table {...table} rows={list.data} />
        ) : (
          <p>{empty}</p>
        )
      ) : list.loading ? (
        <p>Loading…</p>
      ) : null}
    </>
  );
}

interface TableProps<T> {
  caption: string;
  hideCaption?: boolean;
  columns: readonly string[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  cells: (row: T) => readonly ComponentChildren[];
  testId?: string;
}

/**
 * A table of rows under column headers, with its caption (hidden when the heading above already
 * says what it is): every table of the console.
 */
export function Table<T>({
  caption,
  hideCaption = false,
  columns,
  rows,
  rowKey,
  cells,
  testId,
}: TableProps<T>) {
  return (
    <table data-testid={testId}>
      <caption class={hideCaption ? 'visually-hidden' : undefined}>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)}>
            {cells(row).map((cell, i) => (
              <td key={columns[i]}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
