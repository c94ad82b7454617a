// Draws the netting cycle dashboard's charts (Chart.js, served locally) from JSON embedded in
// the page: gross versus net obligations per cycle, cash (one chart per currency) and securities.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("cycles-chart-data");
  if (!data || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  const draw = (id, series) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [
          { label: `Gross (${series.unit})`, data: series.gross },
          { label: `Net (${series.unit})`, data: series.net },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    canvas.dataset.rendered = "true";
  };
  chart.cash.forEach((series, index) => draw(`cycles-cash-chart-${index}`, series));
  draw("cycles-securities-chart", chart.securities);
});
