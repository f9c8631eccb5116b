// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules. Formatting is
// Prettier's job (`npm run lint` runs both).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "**/node_modules/", ".build/", "examples/*/node_modules/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Unused arguments are allowed when their name says so (`_config`).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
);
