// A form for an endpoint's request, generated from the fields its service describes: a typed
// input per field, lists for repeated ones, and the request as JSON for anything else.
import { useState } from 'preact/hooks';

const INTEGER = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Checks one value typed for a field of `kind`; returns the value for the JSON or throws. */
export function parseValue(kind, text) {
  if (kind in INTEGER) {
    if (!/^-?\d+$/.test(text.trim())) throw new Error('a whole number');
    const value = BigInt(text.trim());
    const [min, max] = INTEGER[kind];
    if (value < min || value > max) throw new Error(`between ${min} and ${max}`);
    return value;
  }
  if (kind === 'double' || kind === 'float') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new Error('a number');
    return value;
  }
  if (kind === 'bool') return text === true || text === 'true';
  if (kind === 'bytes') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('base64');
    return text;
  }
  if (kind === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('JSON');
  }
}

/**
 * The request as JSON text; whole numbers are written exactly, however large. `values` is a
 * Map by field name (names come from service authors: `__proto__` is a name like any other).
 */
export function requestJson(fields, values) {
  const request = Object.create(null);
  for (const field of fields) {
    const value = values.get(field.name);
    if (value === undefined) continue;
    if (field.repeated) {
      const items = value.filter((item) => item !== '');
      if (items.length) request[field.name] = items.map((item) => parseValue(field.kind, item));
    } else if (field.kind === 'bool' || value !== '') {
      request[field.name] = parseValue(field.kind, value);
    }
  }
  return JSON.stringify(request, (_, v) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(
    /"\\u0000(-?\d+)\\u0000"/g,
    '$1',
  );
}

function errorOf(field, value) {
  const items = field.repeated ? value || [] : [value];
  for (const item of items) {
    if (item === undefined || item === '' || field.kind === 'bool') continue;
    try {
      parseValue(field.kind, item);
    } catch (expected) {
      return `${field.name} must be ${expected.message}`;
    }
  }
  return null;
}

function Input({ field, id, value, onInput, invalid }) {
  if (field.kind === 'bool') {
    return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onInput(e.currentTarget.checked)} />;
  }
  const known = field.kind in INTEGER || ['double', 'float', 'string', 'bytes'].includes(field.kind);
  if (!known) {
    return (
      <textarea id={id} rows={2} value={value} aria-invalid={invalid} placeholder={`${field.kind} as JSON`}
        onInput={(e) => onInput(e.currentTarget.value)} />
    );
  }
  const numeric = field.kind in INTEGER || field.kind === 'double' || field.kind === 'float';
  return (
    <input id={id} type="text" value={value} aria-invalid={invalid}
      inputMode={numeric ? 'decimal' : undefined}
      placeholder={field.kind === 'bytes' ? 'base64' : field.kind}
      onInput={(e) => onInput(e.currentTarget.value)} />
  );
}

/**
 * The form of `endpoint` (its request's fields); `onSubmit(json)` gets the request as JSON
 * text once every field is valid. `submitLabel` names the button.
 */
export function EndpointForm({ endpoint, onSubmit, submitLabel, busy }) {
  const fields = endpoint.request.fields || [];
  const [values, setValues] = useState(() => new Map());
  const [raw, setRaw] = useState(null);
  const [problem, setProblem] = useState(null);
  const set = (name, value) => setValues(new Map(values).set(name, value));
  const idOf = (field, i) => `f-${endpoint.name}-${field.name}${i === undefined ? '' : `-${i}`}`;

  const submit = (event) => {
    event.preventDefault();
    if (raw !== null) {
      try {
        JSON.parse(raw);
      } catch (error) {
        setProblem(`The request is not JSON: ${error.message}`);
        return;
      }
      setProblem(null);
      onSubmit(raw);
      return;
    }
    const wrong = fields.map((f) => errorOf(f, values.get(f.name))).filter(Boolean);
    if (wrong.length) {
      setProblem(wrong.join('; '));
      return;
    }
    setProblem(null);
    onSubmit(requestJson(fields, values));
  };

  return (
    <form class="endpoint-form" onSubmit={submit} data-endpoint={endpoint.name} noValidate>
      {raw === null && fields.length === 0 && (
        <p class="muted">This endpoint describes no request fields: it is called with <code>{'{}'}</code>.</p>
      )}
      {raw === null &&
        fields.map((field) => {
          const error = errorOf(field, values.get(field.name));
          if (!field.repeated) {
            return (
              <div class="field">
                <label for={idOf(field)}>
                  {field.name} <span class="muted">{field.kind}</span>
                </label>
                <Input field={field} id={idOf(field)} value={values.get(field.name) ?? (field.kind === 'bool' ? false : '')}
                  invalid={!!error} onInput={(v) => set(field.name, v)} />
              </div>
            );
          }
          const items = values.get(field.name) || [];
          return (
            <fieldset class="field">
              <legend>
                {field.name} <span class="muted">list of {field.kind}</span>
              </legend>
              {items.map((item, i) => (
                <div class="item">
                  <Input field={field} id={idOf(field, i)} value={item} invalid={!!error}
                    onInput={(v) => set(field.name, items.map((old, j) => (j === i ? v : old)))} />
                  <button type="button" class="small" aria-label={`Remove ${field.name} ${i + 1}`}
                    onClick={() => set(field.name, items.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </div>
              ))}
              <button type="button" class="small" onClick={() => set(field.name, [...items, field.kind === 'bool' ? false : ''])}>
                Add {field.name}
              </button>
            </fieldset>
          );
        })}
      {raw !== null && (
        <div class="field">
          <label for={`raw-${endpoint.name}`}>Request (JSON)</label>
          <textarea id={`raw-${endpoint.name}`} rows={5} value={raw} onInput={(e) => setRaw(e.currentTarget.value)} />
        </div>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
      <div class="actions">
        <button type="submit" disabled={busy}>{busy ? 'Waiting…' : submitLabel}</button>
        <button type="button" class="link" onClick={() => {
          if (raw === null) {
            let text = '{}';
            try {
              text = requestJson(fields, values);
            } catch {
              // A field is not valid yet: start from an empty request.
            }
            setRaw(text);
          } else {
            setRaw(null);
          }
        }}>
          {raw === null ? 'Edit as JSON' : 'Back to the form'}
        </button>
      </div>
    </form>
  );
}
