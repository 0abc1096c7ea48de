// Polls: staff create them (single choice, multiple choice, yes/no, short
// open answer; anonymous or named), watch the live tally, close and publish
// them; students answer (and may change their answer until the poll closes)
// and see the results once published.

import { $, h } from './dom.js';
import { t, setAria, describeError } from './i18n.js';
import { state, can, request, handle, onChange, changed } from './session.js';
import { selected } from './tabs.js';

function find(id) {
  return state.polls.find((p) => p.id === id);
}

// `poll` {id, question, kind, options, anonymous, state, published, answer?}
// creates or updates the page's copy; tallies and results are kept beside.
function upsert(x) {
  if (x.id === undefined || x.id === null) return null;
  let p = find(x.id);
  if (!p) {
    p = { id: x.id, question: '', kind: 'single', options: [], anonymous: false, state: 'open', published: false,
      tally: null, results: null, answer: null };
    state.polls.push(p);
    if (selected() !== 'polls' && !can('manage_polls')) {
      $('polls-badge').hidden = false;
      $('polls-badge').textContent = '!';
      setAria($('polls-badge'), 'polls.new_badge');
    }
  }
  for (const k of ['question', 'kind', 'options', 'anonymous', 'state', 'published']) if (x[k] !== undefined) p[k] = x[k];
  if (x.answer) p.answer = x.answer;
  // Yes/no options come in English: show them in the page's language.
  if (p.kind === 'yesno') p.labels = [t('polls.yes'), t('polls.no')];
  else p.labels = p.options || [];
  p.status = p.published ? 'published' : p.state;
  changed('polls');
  return p;
}

function answerMsg(p, form) {
  if (p.kind === 'open') return { type: 'poll_answer', poll: p.id, text: form.querySelector('input[type=text]').value.trim() };
  const choices = [...form.querySelectorAll('input:checked')].map((i) => Number(i.value));
  return { type: 'poll_answer', poll: p.id, choices };
}

async function answer(ctx, p, form) {
  const msg = answerMsg(p, form);
  if (p.kind === 'open' ? !msg.text : !msg.choices.length) {
    ctx.showError(t('polls.pick'));
    return;
  }
  try {
    await request(msg); // poll_answer_ack
    p.answer = msg.text !== undefined ? { text: msg.text } : { choices: msg.choices };
    changed('polls');
  } catch (e) {
    ctx.showError(describeError(e));
  }
}

// poll_tally {counts, answers, voters?, texts?} or poll_results {counts, total, texts?}.
function summary(m) {
  return {
    counts: m.counts || [],
    answers: m.answers ?? m.total ?? 0,
    texts: (m.texts || []).map((x) => (typeof x === 'string' ? x : `${x.name ? `${x.name}: ` : ''}${x.text}`)),
    voters: m.voters || null,
  };
}

function bars(p, data) {
  const total = Math.max(1, data.counts.reduce((a, b) => a + b, 0));
  return h('ul', { class: 'plain tally' }, ...p.labels.map((o, i) => {
    const n = data.counts[i] || 0;
    const who = data.voters && data.voters[i] && data.voters[i].length ? data.voters[i].join(', ') : null;
    return h('li', { dataset: { option: i, count: n } },
      h('span', { class: 'opt', text: o }), ' ',
      h('b', { class: 'count', text: String(n) }),
      who ? h('span', { class: 'voters', text: ` (${who})` }) : null,
      h('span', { class: 'bar', style: `width:${Math.round((100 * n) / total)}%`, 'aria-hidden': 'true' }));
  }));
}

function resultView(p, data, key) {
  return h('div', { class: 'results' },
    h('p', { i18n: [key, { n: data.answers }] }),
    p.kind === 'open'
      ? h('ul', { class: 'texts' }, ...(data.texts || []).map((x) => h('li', { text: typeof x === 'string' ? x : `${x.name ? `${x.name}: ` : ''}${x.text}` })))
      : bars(p, data));
}

function answerForm(ctx, p) {
  const open = p.state === 'open';
  const form = h('form', { class: 'answer', onsubmit: (ev) => { ev.preventDefault(); answer(ctx, p, form); } });
  const fs = h('fieldset', { disabled: !open }, h('legend', { text: p.question }));
  if (p.kind === 'open') {
    fs.append(h('label', {}, h('span', { class: 'sr-only', i18n: 'polls.your_answer' }),
      h('input', { type: 'text', maxlength: 500, value: (p.answer && p.answer.text) || '', 'aria-label': t('polls.your_answer') })));
  } else {
    const multi = p.kind === 'multiple';
    p.labels.forEach((o, i) => {
      const checked = Boolean(p.answer && p.answer.choices && p.answer.choices.includes(i));
      fs.append(h('label', { class: 'check' },
        h('input', { type: multi ? 'checkbox' : 'radio', name: `poll-${p.id}`, value: i, checked }), h('span', { text: o })));
    });
  }
  fs.append(h('button', { type: 'submit', class: 'answer-submit', i18n: p.answer === null ? 'polls.submit' : 'polls.change' }));
  form.append(fs);
  if (p.answer !== null) form.append(h('p', { class: 'answered', i18n: open ? 'polls.answered' : 'polls.closed_answered' }));
  else if (!open) form.append(h('p', { i18n: 'polls.closed' }));
  return form;
}

function staffView(ctx, p) {
  const data = summary(p.tally || {});
  const div = h('div', {},
    h('p', { class: 'question', text: p.question }),
    h('p', { class: 'status', i18n: `polls.status_${p.status}` }),
    resultView(p, data, 'polls.tally_count'));
  const actions = h('div', { class: 'actions' });
  if (p.state === 'open') {
    actions.append(h('button', { type: 'button', class: 'poll-close', i18n: 'polls.close', aria: ['polls.close_aria', { q: p.question }],
      onclick: () => ctx.send({ type: 'poll_close', poll: p.id }) }));
  }
  if (!p.published) {
    actions.append(h('button', { type: 'button', class: 'poll-publish', i18n: 'polls.publish', aria: ['polls.publish_aria', { q: p.question }],
      onclick: () => ctx.send({ type: 'poll_publish', poll: p.id }) }));
  }
  div.append(actions);
  return div;
}

function render(ctx) {
  // Yes/no options come in English: shown in the page's language (now).
  for (const p of state.polls) p.labels = p.kind === 'yesno' ? [t('polls.yes'), t('polls.no')] : p.options || [];
  $('poll-form').hidden = !can('manage_polls');
  $('polls-empty').hidden = state.polls.length > 0;
  const list = [...state.polls].reverse();
  $('poll-list').replaceChildren(...list.map((p) => {
    const card = h('section', { class: `card poll ${p.status}`, dataset: { poll: p.id }, 'aria-label': t('polls.poll_aria', { q: p.question }) });
    if (can('manage_polls')) card.append(staffView(ctx, p));
    else {
      card.append(answerForm(ctx, p));
      if (p.results) card.append(resultView(p, summary(p.results), 'polls.results_count'));
    }
    return card;
  }));
}

async function create(ctx) {
  const kind = $('poll-kind').value;
  const question = $('poll-question').value.trim();
  const options = kind === 'single' || kind === 'multiple'
    ? $('poll-options').value.split('\n').map((x) => x.trim()).filter(Boolean) : [];
  if (!question) return;
  if ((kind === 'single' || kind === 'multiple') && options.length < 2) {
    ctx.showError(t('polls.need_options'));
    return;
  }
  const msg = { type: 'poll_create', question, kind, anonymous: $('poll-anonymous').checked };
  if (options.length) msg.options = options;
  try {
    upsert(await request(msg)); // the `poll` itself
    $('poll-question').value = '';
    $('poll-options').value = '';
  } catch (e) {
    ctx.showError(describeError(e));
  }
}

export function init(ctx) {
  handle('poll', upsert);
  handle('poll_tally', (m) => {
    const p = find(m.poll);
    if (p) {
      p.tally = m;
      changed('polls');
    }
  });
  handle('poll_results', (m) => {
    const p = find(m.poll);
    if (p) {
      p.results = m;
      p.published = true;
      p.status = 'published';
      changed('polls');
    }
  });
  $('poll-kind').addEventListener('change', () => {
    const k = $('poll-kind').value;
    $('poll-options-label').hidden = !(k === 'single' || k === 'multiple');
  });
  $('poll-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    create(ctx);
  });
  onChange('tab-polls', () => { $('polls-badge').hidden = true; });
  for (const topic of ['polls', 'phase']) onChange(topic, () => render(ctx));
}
