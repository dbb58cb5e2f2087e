// Text with an edit button that turns it into a field; Enter or Save keeps the change, Escape or Cancel drops it.
import { useState } from 'react';

export function EditableText({ value, label, onSave, children }) {
  const [draft, setDraft] = useState(null);
  if (draft === null) {
    return (
      <>
        {children}
        <button className="quiet" aria-label={`${label}: ${value}`} onClick={() => setDraft(value)}>
          {label}
        </button>
      </>
    );
  }
  const save = (event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text || text === value) return setDraft(null);
    // A failed save keeps the field open; the page shows the error.
    onSave(text).then(() => setDraft(null), () => {});
  };
  return (
    <form className="edit" onSubmit={save} onKeyDown={(event) => event.key === 'Escape' && setDraft(null)}>
      <input aria-label={label} value={draft} onChange={(event) => setDraft(event.target.value)} autoFocus />
      <button type="submit">Save</button>
      <button type="button" className="quiet" onClick={() => setDraft(null)}>
        Cancel
      </button>
    </form>
  );
}
