"""The rollout service: groups of rollouts from any harness or built-in agent, staged, evaluated, handed to trainers."""
