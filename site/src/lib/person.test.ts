import { expect, it } from 'vitest';
import { translator } from '../i18n/i18n';
import { displayName, secondLine } from './person';

const id = '61b771b9-0000-4000-8000-000000000001';

it('a person is named by their name, else their email, else as a visitor in the dashboard\'s language', () => {
  const nl = translator('nl');
  const en = translator('en');
  expect(displayName({ name: 'Jan', email: 'jan@example.com', userId: id }, nl)).toBe('Jan');
  expect(displayName({ name: null, email: 'jan@example.com', userId: id }, nl)).toBe('jan@example.com');
  expect(displayName({ name: '', email: null, userId: id }, nl)).toBe('Bezoeker 61b771b9');
  expect(displayName({ name: null, email: null, userId: id }, en)).toBe('Visitor 61b771b9');
});

it('the second line is the email only when the name is shown above it', () => {
  expect(secondLine({ name: 'Jan', email: 'jan@example.com' })).toBe('jan@example.com');
  expect(secondLine({ name: null, email: 'jan@example.com' })).toBeNull();
  expect(secondLine({ name: 'Jan', email: null })).toBeNull();
});
