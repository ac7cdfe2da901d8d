/** Sign-in with a console token; the server keeps it in an HttpOnly cookie. */
import { useState } from "preact/hooks";
import type { Me } from "../../../dto.js";
import { api } from "../api.js";

export function LoginPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="login card"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        api.signIn(token.trim()).then(
          (me) => onSignedIn(me),
          (err: unknown) => {
            setBusy(false);
            setError(err instanceof Error ? err.message : String(err));
          },
        );
      }}
    >
      <h1>
        <span class="logo" aria-hidden="true" /> etl console
      </h1>
      <p>
        This console needs a token. Ask the platform team for one (they make it with{" "}
        <code>ui --new-token</code>).
      </p>
      <label>
        Token
        <input
          name="token"
          type="password"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          required
        />
      </label>
      {error !== null && (
        <p class="form-error">
          {error === "unknown token" ? "That token is not known to this console." : error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy || token.trim() === ""}>
        Sign in
      </button>
    </form>
  );
}
