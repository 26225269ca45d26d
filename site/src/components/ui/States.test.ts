import { describe, expect, it } from 'vitest';
import { errorText } from './States';
import { RpcError } from '../../data/rpc';
import { translator } from '../../i18n/i18n';

const t = translator('nl');
const rpcError = (code: string, message: string) => new RpcError('some_rpc', { code, message });

describe('errorText', () => {
  it('puts the API\'s SQLSTATEs in words, with the server text as detail', () => {
    expect(errorText(t, rpcError('42501', 'not allowed: owner role required'))).toBe(t('errorNotAllowed'));
    expect(errorText(t, rpcError('PT409', 'a project keeps at least one owner'))).toBe(t('errorLastOwner'));
    expect(errorText(t, rpcError('PT404', 'no signed-up user has this email'))).toBe('Niet gevonden (no signed-up user has this email)');
    expect(errorText(t, rpcError('22023', 'p_steps must be an array'))).toBe('Ongeldige invoer: p_steps must be an array');
  });

  it('says a failed request is a connection problem, and keeps other messages', () => {
    expect(errorText(t, rpcError('', 'TypeError: Failed to fetch'))).toBe(t('errorNetwork'));
    expect(errorText(t, rpcError('XX000', 'boom'))).toBe('Er ging iets mis: boom');
    expect(errorText(t, new Error('plain'))).toBe('Er ging iets mis: plain');
  });
});
