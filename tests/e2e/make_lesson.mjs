// Makes a lesson through the real flow (a new teacher with `sabaq staff add`,
// sign-in, POST /api/lessons) for the shell-driven tests, and prints its
// tokens as JSON: {"id": ..., "teacher": ..., "assistant": ..., "student": ...}.
// Usage: node tests/e2e/make_lesson.mjs ['{"students_publish": true, ...}']

import { createLesson } from './lib.mjs';

try {
  const opts = process.argv[2] ? JSON.parse(process.argv[2]) : {};
  const l = await createLesson(opts);
  console.log(JSON.stringify({ id: l.lesson.id, ...l.tokens }));
} catch (e) {
  console.error(`make_lesson: ${e.message}`);
  process.exit(1);
}
