package transform

var passPHP = &Pass{
	Name:     "php",
	Families: []string{"php"},
	Doc: `Says why a PHP image is left alone.
The official php images carry no compiler: docker-php-ext-install builds extensions and removes
its build dependencies in the same step, and extensions must be built in the image that runs them.
A split would leave behind only composer, its cache and git/unzip, a few tens of MB, which
REWRITE-RULES §2 calls not worth a rewrite; the file is skipped with that reason.`,
	Requires: []*Pass{passSteps},
	Run: func(u *Unit) error {
		u.Skip(u.Stage.From.StartLine, "%s holds no compiler and its extensions must be built where they run: a split would leave behind only composer and its cache", u.Base.Expanded)
		return nil
	},
}
