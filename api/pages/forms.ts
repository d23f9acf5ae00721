import { html, type SafeHtml } from './html.js';

/** One problem a form's answer names, tied to the field it is about (`field` empty or unknown: the form as a whole). */
export interface FormProblem {
  field: string;
  code?: string;
  message: string;
}

/** What a console form shows again after a refusal: what was typed, and every problem at once. */
export interface FormState {
  values: Record<string, string | undefined>;
  problems: FormProblem[];
}

export const emptyForm = (values: Record<string, string | undefined> = {}): FormState => ({ values, problems: [] });

const problemsFor = (state: FormState | undefined, name: string) => state?.problems.filter((p) => p.field === name) ?? [];

/** Every problem at the top, each linking to its field, so a long form's refusal is read in one place. */
export function formProblemSummary(state: FormState | undefined, formId: string, fields: readonly string[]): SafeHtml {
  if (!state || state.problems.length === 0) return html``;
  const known = new Set(fields);
  return html`<div class="alert error" role="alert" id="${formId}-problems"><p>${state.problems.length === 1 ? 'There is a problem' : `There are ${state.problems.length} problems`}:</p><ul>${state.problems.map(
    (p) =>
      html`<li${p.code ? html` data-problem="${p.code}"` : ''}>${known.has(p.field) ? html`<a href="#${formId}-${p.field}">${p.message}</a>` : p.message}</li>`,
  )}</ul></div>`;
}

interface FieldOptions {
  formId: string;
  name: string;
  label: string;
  state?: FormState;
  type?: 'text' | 'email' | 'url' | 'number' | 'datetime-local' | 'search';
  required?: boolean;
  hint?: string;
  maxLength?: number;
  placeholder?: string;
}

function fieldShell(o: FieldOptions, control: (id: string, described: string, invalid: boolean) => SafeHtml): SafeHtml {
  const id = `${o.formId}-${o.name}`;
  const problems = problemsFor(o.state, o.name);
  const described = [o.hint ? `${id}-hint` : '', problems.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${problems.length ? ' invalid' : ''}"><label for="${id}">${o.label}</label>${o.hint && html`<span class="hint" id="${id}-hint">${o.hint}</span>`}${
    problems.length > 0 && html`<span class="field-error" id="${id}-error">${problems.map((p) => p.message).join(' ')}</span>`
  }${control(id, described, problems.length > 0)}</div>`;
}

const aria = (described: string, invalid: boolean) =>
  html`${described && html` aria-describedby="${described}"`}${invalid && html` aria-invalid="true"`}`;

/** A labelled input that keeps what was typed and shows its own problems under the label. */
export function field(o: FieldOptions): SafeHtml {
  return fieldShell(
    o,
    (id, described, invalid) =>
      html`<input type="${o.type ?? 'text'}" id="${id}" name="${o.name}" value="${o.state?.values[o.name] ?? ''}"${o.required && html` required`}${o.maxLength && html` maxlength="${o.maxLength}"`}${o.placeholder && html` placeholder="${o.placeholder}"`}${aria(described, invalid)}>`,
  );
}

export function textArea(o: FieldOptions & { rows?: number }): SafeHtml {
  return fieldShell(
    o,
    (id, described, invalid) =>
      html`<textarea id="${id}" name="${o.name}" rows="${o.rows ?? 6}"${o.required && html` required`}${o.maxLength && html` maxlength="${o.maxLength}"`}${aria(described, invalid)}>${o.state?.values[o.name] ?? ''}</textarea>`,
  );
}

export function selectField(o: FieldOptions & { options: readonly { value: string; label: string }[] }): SafeHtml {
  const chosen = o.state?.values[o.name];
  return fieldShell(
    o,
    (id, described, invalid) =>
      html`<select id="${id}" name="${o.name}"${o.required && html` required`}${aria(described, invalid)}>${o.options.map(
        (opt) => html`<option value="${opt.value}"${opt.value === chosen && html` selected`}>${opt.label}</option>`,
      )}</select>`,
  );
}

/** The reason every support change asks for: required, kept when the form comes back. */
export const reasonField = (formId: string, state?: FormState, label = 'Reason (kept in the audit trail)') =>
  field({ formId, name: 'reason', label, state, required: true, maxLength: 1000 });
