// One text field and a button: how both boards and tasks are created.
import { useState } from 'react';

export function AddForm({ label, onAdd, disabled }) {
  const [text, setText] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const value = text.trim();
    // A failed add keeps the text for another try; the page shows the error.
    if (value) onAdd(value).then(() => setText(''), () => {});
  };
  return (
    <form className="add" onSubmit={submit}>
      <input aria-label={label} placeholder={label} value={text} onChange={(event) => setText(event.target.value)} />
      <button type="submit" disabled={disabled}>
        Add
      </button>
    </form>
  );
}
