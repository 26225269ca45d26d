// Email + password sign-in through supabase-js auth.
import { useState, type FormEvent } from 'react';
import { useT } from '../i18n/i18n';
import { signIn } from '../data/auth';

export function LoginForm() {
  const t = useT();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const message = await signIn(email, password);
      if (message) setError(message);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card narrow" onSubmit={submit} data-testid="login-form">
      <h1>{t('loginTitle')}</h1>
      <label>
        {t('email')}
        <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="login-email" />
      </label>
      <label>
        {t('password')}
        <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="login-password" />
      </label>
      {error && (
        <p className="state error" role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
        {busy ? t('signingIn') : t('signIn')}
      </button>
    </form>
  );
}
