// Draws each motion's on-chain tally (weights per option) with Chart.js, served locally.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("ballot-chart-data");
  if (!data || typeof Chart === "undefined") return;
  const motions = JSON.parse(data.textContent);
  document.querySelectorAll("canvas.ballot-chart").forEach((canvas) => {
    const motion = motions[Number(canvas.dataset.motion)];
    if (!motion) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: motion.labels, datasets: [{ label: `Weight (${motion.voters} voters)`, data: motion.weights }] },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    canvas.dataset.rendered = "true";
  });
});
