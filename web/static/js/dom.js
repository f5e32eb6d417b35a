// The few DOM helpers every page module uses.

export const $ = (id) => document.getElementById(id);

// One term and its value in a description list (<dl>): the answer facts on the desk, the fare on a ride.
export function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

// A control (a button, or a form's submit button) is off while its request is in flight, so a double tap sends
// it once; a click or submit that arrives anyway (Enter in a field, requestSubmit) is dropped. The button comes back
// however the request ends, with the keyboard's focus if it had it (a disabled button loses focus).
export async function oneAtATime(control, work) {
  const button = control instanceof HTMLFormElement ? control.querySelector('button[type="submit"]') : control;
  if (button.disabled) return;
  const focused = document.activeElement === button;
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
    if (focused && document.activeElement === document.body) button.focus();
  }
}
