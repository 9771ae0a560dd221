// Changes to a responses set as the responses editor makes them: each returns a new document.
import type { ResponseContent, ResponsesDocument } from "./types";

export const CHANNELS = ["voice", "chat", "sms", "email", "webhook"] as const;

/** Change a response's own fields, or one of its variants' (`variant` its index). */
export function updateContent(doc: ResponsesDocument, name: string, change: Partial<ResponseContent>, variant?: number): ResponsesDocument {
  const response = { ...doc.responses[name] };
  if (variant === undefined) {
    Object.assign(response, change);
    prune(response);
  } else {
    const variants = [...(response.variants ?? [])];
    variants[variant] = prune({ ...variants[variant], ...change });
    response.variants = variants;
  }
  return { ...doc, responses: { ...doc.responses, [name]: response } };
}

/** Add a response saying `text`, at the end. */
export function addResponse(doc: ResponsesDocument, name: string, text: string): ResponsesDocument {
  return { ...doc, responses: { ...doc.responses, [name]: { text } } };
}

/** Remove a response. */
export function removeResponse(doc: ResponsesDocument, name: string): ResponsesDocument {
  const responses = { ...doc.responses };
  delete responses[name];
  return { ...doc, responses };
}

/** Add a variant for a channel or a language (the most specific one wins at run time). */
export function addVariant(doc: ResponsesDocument, name: string, variant: ResponseContent): ResponsesDocument {
  const response = doc.responses[name];
  return { ...doc, responses: { ...doc.responses, [name]: { ...response, variants: [...(response.variants ?? []), variant] } } };
}

/** Remove a variant; a response left with none has no `variants` field. */
export function removeVariant(doc: ResponsesDocument, name: string, index: number): ResponsesDocument {
  const response = { ...doc.responses[name] };
  const variants = (response.variants ?? []).filter((_, i) => i !== index);
  if (variants.length) response.variants = variants;
  else delete response.variants;
  return { ...doc, responses: { ...doc.responses, [name]: response } };
}

/** Drop the fields left empty: the schema wants no empty text, subject or button list. */
function prune(content: ResponseContent): ResponseContent {
  for (const key of Object.keys(content) as (keyof ResponseContent)[]) {
    const value = content[key];
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0 && key === "quick_replies")) delete content[key];
  }
  return content;
}
