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
