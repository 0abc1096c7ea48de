// Sabaq's HTTP API (docs/protocol.md, "HTTP API"): the staff session (a
// cookie set by the sign-in link), lessons, their links and rosters. Every
// call returns the parsed JSON or throws an ApiError carrying the server's
// `error` code and sentence.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && (body.code || body.error);
  }
}

async function call(method, path, body, type = 'application/json') {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = type;
    init.body = type === 'application/json' ? JSON.stringify(body) : body;
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = { message: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// The signed-in staff member ({id, name, role}) or null when nobody is.
export async function me() {
  try {
    return await call('GET', '/api/me');
  } catch (e) {
    if (e.status === 401 || e.status === 403 || e.status === 404) return null;
    throw e;
  }
}

export const createLesson = (lesson) => call('POST', '/api/lessons', lesson);
export const listLessons = () => call('GET', '/api/lessons');
// {lesson, links: {teacher, assistant, student}, roster: [...]}
export const lessonLinks = (id) => call('GET', `/api/lessons/${encodeURIComponent(id)}/links`);
export const uploadRoster = (id, csv) =>
  call('POST', `/api/lessons/${encodeURIComponent(id)}/roster`, csv, 'text/csv');
// linkId: "r12" (a roster entry) or "n<nonce>" (a single-use link).
export const revokeLink = (id, linkId) =>
  call('POST', `/api/lessons/${encodeURIComponent(id)}/revoke`, { link: linkId });
export const singleUseLinks = (id, count) =>
  call('POST', `/api/lessons/${encodeURIComponent(id)}/links`, { count });

export const attendanceCsvUrl = (id) => `/api/lessons/${encodeURIComponent(id)}/attendance.csv`;
export const pollsCsvUrl = (id) => `/api/lessons/${encodeURIComponent(id)}/polls.csv`;

// A link's token, from a full link or a bare token.
export function tokenOf(link) {
  try {
    return new URL(link, location.href).searchParams.get('t') || link;
  } catch (e) {
    return link;
  }
}
