"""Planning a sweep: sampling (`sampling`), samples to runs (`samples`), cache-aware
order (`order`), run folders (`folders`), the plan model (`model`), building and
extending a plan (`build`, `extend`)."""
